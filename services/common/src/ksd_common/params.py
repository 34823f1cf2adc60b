"""Query parameters stricter than pydantic's lax defaults, refused as 422 with a stable `code` and
a message in Bahasa Indonesia (problems.py names the parameter): a query that the database cannot
take would be a 500, and one that pydantic reads generously would answer another question.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: object) -> object:
    """Only YYYY-MM-DD of a day on the calendar: pydantic alone reads `0` as 1970-01-01 (a Unix
    time) and `2024-01-01T00:00:00` as a day."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("date.not_iso", "Bukan tanggal ISO (YYYY-MM-DD) yang ada di kalender,"
                              " misalnya 2026-11-28: {value}", {"value": str(value)})


def _printable(value: str) -> str:
    """No control characters: PostgreSQL cannot hold NUL in text (a 500 before), and no one types
    the others into a search."""
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise PydanticCustomError("text.control_character",
                                  "Teks tidak boleh memuat karakter kendali (seperti NUL, %00, atau tab)")
    return value


PRINTABLE = r"^[^\u0000-\u001f\u007f-\u009f]*$"
"""The same rule as `_printable`, for the OpenAPI document (`json_schema_extra={"pattern": ...}` on
the parameter), which pydantic does not enforce: the check stays `_printable`'s, with its code."""


WIB = timezone(timedelta(hours=7), "WIB")
"""The platform's legal calendar: a day named without a time is a day in WIB."""


def instant(text: str) -> datetime:
    """An RFC 3339 time (UTC when it names no zone), or a day: the end of that day in WIB. What an
    auditor's "as recorded on" means, in the API and in `ksd audit` alike."""
    if ISO_DAY.fullmatch(text):
        day = date.fromisoformat(text)
        return datetime.combine(day + timedelta(days=1), time(), WIB) - timedelta(microseconds=1)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso_instant(value: object) -> object:
    if isinstance(value, datetime):
        return value
    try:
        return instant(str(value))
    except ValueError:
        raise PydanticCustomError("time.not_iso", "Bukan waktu RFC 3339 (misalnya 2026-11-28T10:00:00+07:00) atau"
                                  " tanggal YYYY-MM-DD: {value}", {"value": str(value)}) from None


IsoDay = Annotated[date, BeforeValidator(_iso_day)]
IsoInstant = Annotated[datetime, BeforeValidator(_iso_instant)]
SearchText = Annotated[str, AfterValidator(_printable)]
