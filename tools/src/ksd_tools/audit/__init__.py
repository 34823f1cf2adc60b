"""`ksd audit`: replay any state as of any time, and prove nothing was altered (INTERFACES.md, "Audit").

The commands are in `ksd_tools.audit.commands` (verify, checkpoint) and `.rebuild_commands`
(rebuild, replay, which import reporting's code); this module stays light (the command line's
`--as-of` type is here), so `ksd --help` and the audit submodules import nothing they do not use.
"""

from __future__ import annotations

from datetime import datetime


def as_of(text: str) -> datetime:
    """An RFC 3339 time (UTC when it names no zone), or a date: the end of that day in WIB, the
    platform's legal calendar (`ksd_common.params.instant`, as the API reads it)."""
    from ksd_common.params import instant  # imported when the option is given: `ksd --help` stays light

    return instant(text)
