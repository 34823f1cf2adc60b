"""`ksd audit report`: the auditor's report (`ksd_reporting.audit_api`, `audit_page`) from the
history alone. Reporting's read models are rebuilt from the log into a scratch database
(`rebuild.rebuilt`), and the report is asked of them with the endpoint's own functions, so the
command and `GET /v1/audit/...` give the same report. The PDF is the same HTML page printed by
headless Chromium (Playwright's `page.pdf`; `ksd_tools.browser`)."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from ksd_contracts import labels
from ksd_contracts.regions import region
from ksd_contracts.topics import AUDIT_CHECKPOINTS
from ksd_reporting import audit_api, audit_page, auditing
from ksd_tools.audit.commands import history_of
from ksd_tools.audit.log import History
from ksd_tools.audit.rebuild import rebuilt
from ksd_tools.browser import launched


async def audit_report(history: History, subject: str | None, asked: auditing.Question,
                       since: Any = None, limit: int | None = None,
                       workers: int | None = None) -> dict[str, Any] | None:
    """The report of an agreement (its id), a region (its code) or, without a subject, the nation,
    from the read models rebuilt on `workers` processes; a region's or the nation's lists `limit`
    agreements (all without)."""
    async with rebuilt(history, f"ksd_reporting_report_{uuid4().hex[:12]}", keep=False, label="report",
                       workers=workers) as (pool, _), pool.acquire() as conn:
        if subject is None or region(subject) is not None:
            report: dict[str, Any] | None = await audit_api.region_report(conn, subject, asked, limit=limit)
        else:
            report = await audit_api.agreement_report(conn, UUID(subject), asked, since)
    verified = await audit_api.last_verification(history.kafka(), history.name(AUDIT_CHECKPOINTS))
    return None if report is None else report | {"verification": verified}


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


def page(report: dict[str, Any]) -> str:
    return audit_page.agreement_page(report) if "agreement_id" in report["subject"] else audit_page.region_page(report)


async def print_pdf(html: str, out: Path) -> None:
    """The page as an A4 PDF, printed by headless Chromium."""
    async with launched() as browser:
        tab = await browser.new_page()
        await tab.set_content(html)
        await tab.pdf(path=str(out), format="A4", print_background=True,
                      margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})


def run_report(args: argparse.Namespace) -> None:
    if args.nation == (args.subject is not None):
        raise SystemExit("sebutkan satu subjek: id kerja sama, kode daerah (NN atau NN.NN), atau --nation")
    if args.subject is not None and region(args.subject) is None and not _is_uuid(args.subject):
        raise SystemExit(f"{args.subject} bukan id kerja sama maupun kode daerah (NN atau NN.NN)")
    asked = audit_api.question(args.recorded_as_of, args.in_force_on)
    report = asyncio.run(audit_report(history_of(args), args.subject, asked, args.changes_since, args.limit,
                                      args.workers))
    if report is None:
        raise SystemExit(f"tidak ada kerja sama {args.subject} dalam riwayat")
    html = page(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    if args.html:
        args.html.write_text(html)
    if args.pdf:
        asyncio.run(print_pdf(html, args.pdf))
    answer = report["answer"]
    print(f"{args.subject or 'nasional'}: sebagaimana tercatat pada {labels.moment(answer['recorded_as_of'])},"
          f" yang berlaku pada {labels.day(answer['in_force_on'])}")
    for written in (args.json, args.html, args.pdf):
        if written:
            print(f"ditulis: {written}")
