"""`ksd admin remind [--as-of DATE]`: one reminder run beside the running services, on reporting's
database (what reporting does on its schedule): the reminders due into the regions' inboxes, their
mails queued and sent. Run twice, it adds and sends nothing new."""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict

from ksd_common.db import create_pool
from ksd_reporting import reminders


async def _run(args: argparse.Namespace) -> reminders.Run:
    pool = await create_pool("ksd_reporting", max_size=2)
    try:
        return await reminders.run(pool, args.as_of, args.dormant_months)
    finally:
        await pool.close()


def run(args: argparse.Namespace) -> None:
    done = asyncio.run(_run(args))
    print(json.dumps(asdict(done) | {"pesan": f"{done.reminders} pengingat baru, {done.mails_sent} surel terkirim,"
                                               f" {done.mails_failed} gagal (dicoba lagi pada putaran berikutnya)"},
                     ensure_ascii=False))
