"""Reminders: what each region must attend to, in its inbox and by e-mail, never twice.

What is due is read from the read model with the dashboard's own definitions (`store.INDICATORS`
measured on the run's day by `store.measured`), so a reminder and the figure it belongs to cannot
differ: an agreement ending within 90/60/30/7/0 days (`expiring_N`: the tightest threshold it has
reached), a semester report falling due (`reports_due`) or overdue (`overdue_reports`), a KSB
without a PKS past the dormancy limit (`dormant`), a KSDD one side has not reported (`one_sided`,
to the regions that have not), and a record the province returned (`returned`).

Never twice: each reminder has a key, (region, kind, agreement, threshold), unique in `reminders`;
a run inserts what is due and skips what is there. The mails of a new reminder are queued in
`reminder_mails` (one per recipient, unique) in a transaction of their own, and sent one by one,
each marked sent in the transaction that locked it: a mail that failed stays queued and is tried
again on the next run, and a mail marked sent is never sent again.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import asyncpg

from ksd_common.keycloak import KeycloakAdmin
from ksd_common.problems import Problem
from ksd_common.settings import settings
from ksd_contracts import labels
from ksd_contracts.language import Words
from ksd_contracts.regions import regions
from ksd_contracts.submissions import today_wib
from ksd_reporting import store

log = logging.getLogger(__name__)
LOCK = 0x4B5344_0002  # "KSD" + 2: one reminder run at a time
KEYCLOAK = KeycloakAdmin(Words("pengingat tetap di kotak masuk; surel dikirim pada putaran berikutnya",
                               "the reminders stay in the inbox; the e-mails go on the next run"))


def _due_sql(horizon: store.Horizon) -> tuple[str, list[Any]]:
    """Every reminder due on the horizon's day, one row per (region, kind, agreement, threshold)."""
    where = store.on_register(None, horizon.as_of)
    cte, met = store.measured(where, horizon)
    day = where.param(horizon.as_of)
    tightest = " ".join(f"WHEN {met[f'expiring_{d}']} THEN '{d}'" for d in store.EXPIRING_DAYS)
    due_by = f"(SELECT count(*) FROM unnest(report_due) AS d WHERE d <= {day}::date"
    sql = f"""WITH a AS ({cte}), due AS (
        SELECT 'expiring' AS kind, agreement_id, regions AS recipients, CASE {tightest} END AS threshold,
               end_on AS day, NULL AS note FROM a WHERE {met[f'expiring_{store.EXPIRING_DAYS[-1]}']}
        UNION ALL SELECT 'report_overdue', agreement_id, regions, {due_by})::text,
               (SELECT max(d) FROM unnest(report_due) AS d WHERE d <= {day}::date), owed::text
          FROM a WHERE {met['overdue_reports']}
        UNION ALL SELECT 'report_due', agreement_id, regions, {due_by} + {store.REPORT_NOTICE_DAYS})::text,
               (SELECT min(d) FROM unnest(report_due) AS d WHERE d > {day}::date), NULL
          FROM a WHERE {met['reports_due']}
        UNION ALL SELECT 'dormant', agreement_id, regions, dormant_months::text, ksb_on, dormant_months::text
          FROM a WHERE {met['dormant']}
        UNION ALL SELECT 'awaiting_report', agreement_id,
               ARRAY(SELECT unnest(regions) EXCEPT SELECT unnest(reporters)), 'reported_by_partner', initiated_on,
               array_to_string(reporters, ',')
          FROM a WHERE kind = 'KSDD' AND {met['one_sided']}
        UNION ALL SELECT 'returned', agreement_id, regions, record->'verification'->>'at',
               (record->'verification'->>'at')::date, record->'verification'->>'note'
          FROM a WHERE {met['returned']})
    SELECT due.kind, due.agreement_id, r.region, due.threshold, due.day, due.note, a.title, a.registry_number
    FROM due JOIN a USING (agreement_id), unnest(due.recipients) AS r(region)"""
    return sql, where.args


@dataclass(frozen=True)
class Reminder:
    """One reminder as a region reads it: what, about which agreement, the day it speaks of."""

    kind: str
    region: str
    threshold: str
    day: date | None
    note: str | None
    title: str
    registry_number: str | None


def compose(reminder: Reminder) -> tuple[str, str]:
    """The subject and text of a reminder, in Bahasa Indonesia with Indonesian dates: the inbox and
    the e-mail say the same."""
    on = labels.day(reminder.day.isoformat()) if reminder.day else ""
    what = f"{reminder.title} ({reminder.registry_number or 'tanpa nomor registrasi'})"
    match reminder.kind:
        case "expiring" if reminder.threshold == "0":
            subject = f"Kerja sama berakhir hari ini, {on}"
            body = (f"Kerja sama {what} berakhir hari ini, {on}. Bila dilanjutkan, catat perpanjangannya; bila"
                    " tidak, kirim laporan evaluasi akhirnya.")
        case "expiring":
            subject = f"Kerja sama berakhir dalam {reminder.threshold} hari, pada {on}"
            body = (f"Kerja sama {what} berakhir pada {on}, paling lama {reminder.threshold} hari lagi. Bila akan"
                    " dilanjutkan, catat perpanjangan (agreement.extend) sebelum tanggal itu.")
        case "report_overdue":
            subject = f"Laporan kerja sama terlambat sejak {on}"
            body = (f"Laporan semester kerja sama {what} jatuh tempo pada {on} dan belum dikirim ({reminder.note}"
                    " semester belum dilaporkan). Kirim laporannya (agreement.report_progress).")
        case "report_due":
            subject = f"Laporan kerja sama jatuh tempo pada {on}"
            body = f"Laporan semester kerja sama {what} jatuh tempo pada {on}. Kirim sebelum tanggal itu."
        case "dormant":
            subject = f"KSB belum ditindaklanjuti PKS lebih dari {reminder.note} bulan"
            body = (f"KSB kerja sama {what} ditandatangani pada {on} dan belum ditindaklanjuti PKS lebih dari"
                    f" {reminder.note} bulan. Catat PKS-nya, atau akhiri kerja sama bila tidak dilanjutkan.")
        case "awaiting_report":
            partners = ", ".join(_name(c) for c in (reminder.note or "").split(",") if c)
            subject = "KSDD menunggu laporan daerah Anda"
            body = (f"{partners} telah melaporkan KSDD {what} (inisiasi {on}); daerah Anda belum. Laporkan dengan"
                    " agreement.propose memakai agreement_id yang sama.")
        case "returned":
            subject = f"Catatan kerja sama dikembalikan provinsi pada {on}"
            body = (f"Provinsi mengembalikan catatan kerja sama {what} untuk diperbaiki: \u201c{reminder.note}\u201d."
                    " Perbaiki dengan agreement.correct; setelah itu catatan menunggu verifikasi lagi.")
        case _:
            raise ValueError(f"unknown reminder kind {reminder.kind}")
    return f"[{labels.REMINDERS[reminder.kind]}] {subject}", f"Yth. {_name(reminder.region)},\n\n{body}\n"


def _name(code: str) -> str:
    found = regions().get(code)
    return found.name if found else code


async def remember(pool: asyncpg.Pool, horizon: store.Horizon) -> int:
    """Insert every reminder due on the horizon's day that is not in an inbox yet; how many are new."""
    sql, args = _due_sql(horizon)
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", LOCK):
            return 0
        rows = await conn.fetch(sql, *args)
        found = [(r["region"], r["kind"], r["agreement_id"], r["threshold"], r["day"],
                  *compose(Reminder(r["kind"], r["region"], r["threshold"], r["day"], r["note"], r["title"],
                                    r["registry_number"])))
                 for r in rows]
        inserted = await conn.fetch(
            "INSERT INTO reminders (region, kind, agreement_id, threshold, day, subject, body)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::date[], $6::text[], $7::text[])"
            " ON CONFLICT (region, kind, agreement_id, threshold) DO NOTHING RETURNING id",
            *(list(column) for column in zip(*found, strict=True))) if found else []
    return len(inserted)


def configured(recipients: str) -> dict[str, list[str]]:
    """`KSD_REMINDER_RECIPIENTS` read: "53.71=a@x.go.id b@y.go.id;74=c@z.go.id" -> addresses per region."""
    found: dict[str, list[str]] = {}
    for entry in recipients.split(";"):
        code, _, addresses = entry.partition("=")
        if code.strip() and addresses.strip():
            found.setdefault(code.strip(), []).extend(addresses.split())
    return found


async def recipients(code: str) -> list[str]:
    """Where a region's reminders are mailed: its operators' addresses (Keycloak users with the
    region's operator role, enabled, with an e-mail) and the addresses configured for it."""
    operators = await KEYCLOAK.operators(code)
    found = [u["email"] for u in operators if u.get("enabled") and u.get("email")]
    return sorted({*found, *configured(settings().reminder_recipients).get(code, [])})


async def queue_mails(pool: asyncpg.Pool) -> int:
    """Queue the mails of the reminders whose mails are not queued yet, region by region (each in
    its own transaction: a region whose addresses cannot be read now is queued on the next run)."""
    async with pool.acquire() as conn:
        waiting = [r["region"] for r in await conn.fetch(
            "SELECT DISTINCT region FROM reminders WHERE NOT mails_queued ORDER BY 1")]
    queued = 0
    for code in waiting:
        try:
            addresses = await recipients(code)
        except Problem as problem:
            log.warning("reminders: no addresses for %s now (%s); queued next run", code, problem.detail)
            continue
        async with pool.acquire() as conn, conn.transaction():
            ids = [r["id"] for r in await conn.fetch(
                "UPDATE reminders SET mails_queued = true WHERE region = $1 AND NOT mails_queued RETURNING id", code)]
            result = await conn.execute(
                "INSERT INTO reminder_mails (reminder_id, recipient)"
                " SELECT i, a FROM unnest($1::bigint[]) AS i, unnest($2::text[]) AS a ON CONFLICT DO NOTHING",
                ids, addresses)
            queued += int(result.split()[-1])
    return queued


def _send(message: EmailMessage) -> None:
    s = settings()
    with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30) as smtp:
        smtp.send_message(message)


async def send_mails(pool: asyncpg.Pool, limit: int = 1000) -> tuple[int, int]:
    """Send queued mails one by one, each locked and marked sent (or its failure counted) in one
    transaction; (sent, failed). Each is tried once a run (in id order): a failed one is tried again
    on the next run."""
    sent = failed = 0
    last = 0
    for _ in range(limit):
        async with pool.acquire() as conn, conn.transaction():
            mail = await conn.fetchrow(
                "SELECT m.id, m.recipient, r.subject, r.body FROM reminder_mails m JOIN reminders r"
                " ON r.id = m.reminder_id WHERE m.sent_at IS NULL AND m.attempts < $1 AND m.id > $2"
                " ORDER BY m.id LIMIT 1 FOR UPDATE OF m SKIP LOCKED", MAX_ATTEMPTS, last)
            if mail is None:
                break
            last = mail["id"]
            message = EmailMessage()
            message["From"], message["To"] = settings().mail_from, mail["recipient"]
            message["Subject"] = mail["subject"]
            message["Message-ID"] = make_msgid(f"pengingat-{mail['id']}", "kerjasama.kemendagri.go.id")
            message.set_content(mail["body"])
            try:
                await asyncio.to_thread(_send, message)
            except (OSError, smtplib.SMTPException) as error:
                failed += 1
                await conn.execute("UPDATE reminder_mails SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
                                   mail["id"], str(error)[:500])
                continue
            sent += 1
            await conn.execute("UPDATE reminder_mails SET attempts = attempts + 1, sent_at = now() WHERE id = $1",
                               mail["id"])
    return sent, failed


MAX_ATTEMPTS = 20
"""A mail refused this often (an address that does not exist) is left for a person to see."""


@dataclass(frozen=True)
class Run:
    reminders: int
    mails_queued: int
    mails_sent: int
    mails_failed: int


async def run(pool: asyncpg.Pool, as_of: date | None = None, dormant_months: int = 12) -> Run:
    """One run: the reminders due on `as_of` (default today, WIB) into the inboxes, their mails
    queued, and every queued mail sent."""
    new = await remember(pool, store.Horizon(as_of or today_wib(), dormant_months))
    queued = await queue_mails(pool)
    sent, failed = await send_mails(pool)
    return Run(new, queued, sent, failed)


async def every(pool: asyncpg.Pool) -> None:
    """A run every `KSD_REMINDER_SCHEDULE_SECONDS` for the life of the service (0: none); a failed run
    is tried again next time."""
    interval = settings().reminder_schedule_seconds
    while interval > 0:
        try:
            done = await run(pool)
            if done.reminders or done.mails_sent or done.mails_failed:
                log.info("reminders: %s", done)
        except Exception:
            log.exception("reminder run failed")
        await asyncio.sleep(interval)
