"""The auditor's report end to end: an agreement submitted through intake (one submission refused),
its report from reporting's API with an auditor token (a regency token gets 403; the region sees the
refusal on its own record), and the same report from `ksd audit report`, which rebuilds it from the
history and prints it to PDF; the PDF, rendered by poppler (`deploy/local/poppler.sh`), names the
same figures as the API."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from conftest import Platform, ksd
from test_audit_bitemporal import KUPANG, PARTNER, PKS, SIGNED
from test_seed_cases import Node

from ksd_contracts.topics import AGREEMENT_EVENTS

STEPS: list[tuple[str, dict[str, Any]]] = [
    ("agreement.record_tkksd_review", {"reviewed_on": "2019-04-10", "feasible": True, "feasibility_study": True}),
    ("agreement.record_offer", {"document": SIGNED | {"signed_on": "2019-06-01"}}),
    ("agreement.record_offer_response", {"responded_on": "2019-07-15", "accepted": True}),
    ("agreement.record_ksb", {"document": SIGNED}),
    ("agreement.record_pks", PKS),
]


async def _running_agreement(client: httpx.AsyncClient, platform: Platform) -> str:
    kupang = Node(client, platform, await platform.token("regency", KUPANG))
    agreement: str = (await kupang.submit("agreement.propose", {
        "kind": "KSDPK", "title": "Air minum Kota Kupang dengan PT Air Kupang (laporan audit)",
        "parties": [{"type": "region", "code": KUPANG}, {"type": "third_party", "name": PARTNER, "category": "swasta"}],
        "urusan": ["1.03"], "initiated_on": "2019-03-01"}))["agreement_id"]
    for kind, data in STEPS:
        assert (await kupang.step(kind, agreement, **data))["status"] == "applied", kind
    again = await kupang.step("agreement.record_offer_response", agreement, responded_on="2020-05-10", accepted=True)
    assert again["status"] == "rejected" and {r["rule"] for r in again["reasons"]} == {"step.out_of_order"}, again
    return agreement


def _text_of_pdf(pdf: Path) -> str:
    """What a reader of the PDF sees, page by page (poppler's pdftotext), and page 1 as a picture."""
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(pdf.with_suffix(""))],
                   check=True)
    assert next(pdf.parent.glob(f"{pdf.stem}*.png")).stat().st_size > 10_000, "page 1 renders"
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def _verified_against_a_signed_export(folder: Path) -> None:
    """The ministry signs the checkpoints and an auditor verifies the lifecycle topic against them,
    recording the result for the report."""
    key, exported = folder / "ministry.key", folder / "checkpoints.json"
    assert ksd("audit", "keygen", "--key", str(key)).returncode == 0
    signed = ksd("audit", "checkpoint", "--export", str(exported), "--key", str(key))
    assert signed.returncode == 0, signed.stderr
    verified = ksd("audit", "verify", "--topics", AGREEMENT_EVENTS.name, "--checkpoints", str(exported),
                   "--public-key", f"{key}.pub", "--record")
    assert "hasil dicatat di topik audit" in verified.stdout, verified.stdout + verified.stderr


async def test_the_api_the_command_and_the_pdf_give_the_same_report(platform: Platform, tmp_path: Path) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        agreement = await _running_agreement(client, platform)
        _verified_against_a_signed_export(tmp_path)
        recorded_as_of = datetime.now(UTC).isoformat()
        auditor = {"Authorization": f"Bearer {await platform.token('auditor')}"}
        regency = {"Authorization": f"Bearer {await platform.token('regency', KUPANG)}"}
        url = f"{platform.url['reporting']}/v1/audit/agreements/{agreement}"
        params = {"recorded_as_of": recorded_as_of, "in_force_on": "2022-01-01"}
        for _ in range(300):
            response = await client.get(url, params=params, headers=auditor)
            if response.status_code == 200 and response.json()["answer"]["stage"] == "running":
                break
        api = response.json()
        denied = await client.get(url, params=params, headers=regency)
        assert denied.status_code == 403 and "auditor" in denied.json()["detail"], denied.text
        own = await client.get(f"{platform.url['reporting']}/v1/agreements/{agreement}", headers=regency)
        assert [(s["type"], s.get("refused")) for s in own.json()["timeline"]][-1] == ("submission_rejected", True)
        page = await client.get(f"{url}/report.html", params=params, headers=auditor)
        assert page.status_code == 200 and "Laporan Audit Kerja Sama" in page.text

    out = tmp_path / "laporan.pdf"
    made = ksd("audit", "report", agreement, "--recorded-as-of", recorded_as_of, "--in-force-on", "2022-01-01",
               "--json", str(tmp_path / "laporan.json"), "--pdf", str(out))
    assert made.returncode == 0, made.stderr
    assert json.loads((tmp_path / "laporan.json").read_text()) == api, "the command's report is the API's"

    answer = api["answer"]
    assert (answer["stage"], answer["value_idr"], answer["start_on"], answer["end_on"]) == (
        "running", 1_750_000_000, "2020-06-01", "2024-05-31")
    text = " ".join(_text_of_pdf(out).split())
    for figure in (answer["registry_number"], "Rp 1.750.000.000", "53.71 Kota Kupang",
                   "Tahap pada tanggal berlaku Berjalan", "1 Jun 2020 s.d. 31 Mei 2024", "yang berlaku pada 1 Jan 2022",
                   "Penandatanganan PKS 4 Mei 2020", "Penandatanganan KSB 3 Feb 2020", "Kajian TKKSD 10 Apr 2019"):
        assert figure in text, f"{figure!r} not in the PDF: {text[:1500]}"
    verification = api["verification"]
    assert verification["checkpoint_file"] == "checkpoints.json", verification
    assert verification["topics"] == [AGREEMENT_EVENTS.name]
    assert f"{'UTUH' if verification['clean'] else 'BERUBAH'} Diverifikasi pada" in text
    assert len(api["timeline"]) == 7 and all(s["acted_by"] == KUPANG for s in api["timeline"])
    refused = api["timeline"][-1]
    assert (refused["refused"], refused["submission_type"], refused["reasons"][0]["rule"]) == (
        True, "agreement.record_offer_response", "step.out_of_order")
    assert "DITOLAK agreement.record_offer_response: step.out_of_order:" in text
    assert f"step.out_of_order: {KUPANG} sudah menjawab penawaran" in text  # the report is in Bahasa Indonesia
    assert answer["stage"] == "running", "a refused submission changes nothing"

    # The nation's report: the command rebuilt from the history answers what the API answers.
    nation = ksd("audit", "report", "--nation", "--recorded-as-of", recorded_as_of, "--in-force-on", "2022-01-01",
                 "--limit", "50", "--json", str(tmp_path / "nasional.json"))
    assert nation.returncode == 0 and nation.stdout.startswith("nasional: sebagaimana tercatat pada"), nation.stderr
    async with httpx.AsyncClient(timeout=30) as client:
        whole = (await client.get(f"{platform.url['reporting']}/v1/audit/nation", params={**params, "limit": 50},
                                  headers=auditor)).json()
    assert json.loads((tmp_path / "nasional.json").read_text()) == whole, "the command's nation is the API's"
    assert whole["answer"]["by_stage"]["running"] >= 1 and whole["answer"]["total"] >= 1
