"""`ksd audit`: replay any state as of any time, and prove nothing was altered (INTERFACES.md, "Audit").

The commands are in `ksd_tools.audit.commands` (verify, checkpoint) and `.rebuild_commands`
(rebuild, replay, which import reporting's code); this module stays light (the command line's
`--as-of` type is here), so `ksd --help` and the audit submodules import nothing they do not use.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")


def as_of(text: str) -> datetime:
    """An RFC 3339 time (UTC when it names no zone), or a date: the end of that day in WIB, the
    platform's legal calendar."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.combine(day + timedelta(days=1), time(), WIB) - timedelta(microseconds=1)
