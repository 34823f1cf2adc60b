"""The two languages of what a person reads: Bahasa Indonesia, always the default, and English for
an integrator who asks for it (`Accept-Language: en`).

Each text is written once, as a pair, where it lives (a catalogue entry `Words(id, en)`, or
`say(id, en)` at the one place a sentence is made): never two catalogues to keep in step. Which of
the two is said is the language of the request being answered (`ksd_common.language` chooses it
from the request's header); outside a request (a consumer writing an event) it is Bahasa
Indonesia. A text that travels in an event (a rejection's `detail`) travels as its pair
(`detail`, `detail_en`), so the answer can say it in the reader's language later.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple

from pydantic_core import PydanticCustomError

INDONESIAN, ENGLISH = "id", "en"
LANGUAGES = (INDONESIAN, ENGLISH)
"""What a person can read here, the default first."""

_chosen: ContextVar[str] = ContextVar("ksd_language", default=INDONESIAN)


class Words(NamedTuple):
    """One text for a person, in both languages."""

    id: str
    en: str

    def said(self, language: str | None = None) -> str:
        """The text in `language` (by default the request's)."""
        return self.en if (language or _chosen.get()) == ENGLISH else self.id


def language() -> str:
    """The language of the answer being made: `id` unless the request asked for English."""
    return _chosen.get()


def say(id: str, en: str) -> str:
    """A sentence made here, in the language of the answer being made."""
    return Words(id, en).said()


@contextmanager
def speaking(chosen: str) -> Iterator[None]:
    """Say every text made inside in `chosen` (one of LANGUAGES)."""
    token = _chosen.set(chosen if chosen in LANGUAGES else INDONESIAN)
    try:
        yield
    finally:
        _chosen.reset(token)


def rule_broken(id: str, en: str, see: str | None = None) -> PydanticCustomError:
    """What a contract model's own rule raises: pydantic's `value_error` (the stable `code`), with
    the sentence in Bahasa Indonesia as its message and in English in its context, for
    `ksd_common.problems.field_errors` to choose from; `see` names the catalogue that lists the
    values allowed (`ksd_common.audience.CATALOGUES`), which the answer links to."""
    return PydanticCustomError("value_error", id, {"en": en, "see": see} if see else {"en": en})


def localized(text: dict[str, Any], field: str = "detail") -> dict[str, Any]:
    """A stored text pair (`detail`, `detail_en`) as the reader reads it: `detail` in the answer's
    language (the Indonesian one when no English was stored, as in events of earlier versions)."""
    english = text.get(f"{field}_en")
    shown = {k: v for k, v in text.items() if k != f"{field}_en"}
    if english and language() == ENGLISH:
        shown[field] = english
    return shown


PESAN: dict[str, Words] = {
    "missing": Words("wajib diisi", "required"),
    "extra_forbidden": Words("kolom ini tidak dikenal", "unknown field"),
    "string_type": Words("harus teks", "must be text"),
    "int_type": Words("harus bilangan bulat", "must be a whole number"),
    "int_parsing": Words("harus bilangan bulat", "must be a whole number"),
    "int_from_float": Words("harus bilangan bulat", "must be a whole number"),
    "float_parsing": Words("harus angka", "must be a number"),
    "bool_type": Words("harus true atau false", "must be true or false"),
    "bool_parsing": Words("harus true atau false", "must be true or false"),
    "list_type": Words("harus daftar", "must be a list"),
    "dict_type": Words("harus objek", "must be an object"),
    "model_type": Words("harus objek", "must be an object"),
    "model_attributes_type": Words("harus objek", "must be an object"),
    "uuid_type": Words("harus UUID", "must be a UUID"),
    "uuid_parsing": Words("bukan UUID yang sah", "is not a valid UUID"),
    "date_type": Words("harus tanggal YYYY-MM-DD", "must be a date YYYY-MM-DD"),
    "date_parsing": Words("bukan tanggal YYYY-MM-DD yang ada di kalender",
                          "is not a calendar date YYYY-MM-DD"),
    "date_from_datetime_parsing": Words("bukan tanggal YYYY-MM-DD yang ada di kalender",
                                        "is not a calendar date YYYY-MM-DD"),
    "date_from_datetime_inexact": Words("tanggal saja, tanpa jam", "a date only, without a time"),
    "datetime_parsing": Words("bukan waktu RFC 3339", "is not an RFC 3339 time"),
    "datetime_from_date_parsing": Words("bukan waktu RFC 3339", "is not an RFC 3339 time"),
    "datetime_type": Words("harus waktu RFC 3339", "must be an RFC 3339 time"),
    "string_too_short": Words("paling sedikit {min_length} karakter", "at least {min_length} characters"),
    "string_too_long": Words("paling banyak {max_length} karakter", "at most {max_length} characters"),
    "too_short": Words("paling sedikit {min_length} butir", "at least {min_length} items"),
    "too_long": Words("paling banyak {max_length} butir", "at most {max_length} items"),
    "string_pattern_mismatch": Words("tidak sesuai pola {pattern}", "does not match the pattern {pattern}"),
    "literal_error": Words("harus salah satu dari: {expected}", "must be one of: {expected}"),
    "enum": Words("harus salah satu dari: {expected}", "must be one of: {expected}"),
    "greater_than": Words("harus lebih dari {gt}", "must be greater than {gt}"),
    "greater_than_equal": Words("paling kecil {ge}", "at least {ge}"),
    "less_than": Words("harus kurang dari {lt}", "must be less than {lt}"),
    "less_than_equal": Words("paling besar {le}", "at most {le}"),
    "union_tag_invalid": Words("jenis {tag} tidak dikenal; salah satu dari: {expected_tags}",
                               "unknown kind {tag}; one of: {expected_tags}"),
    "union_tag_not_found": Words("tentukan jenisnya ({discriminator})", "say which kind it is ({discriminator})"),
    "json_invalid": Words("bukan JSON yang sah", "is not valid JSON"),
}
"""pydantic's own errors for a person, by their `type` (the `code` a machine reads, the same in
both languages); the rules of our contract models say theirs through
`ksd_contracts.language.rule_broken` (the English in the error's context)."""


def field_message(error: Any) -> str:
    """One pydantic error as a person reads it, in the language of the answer being made."""
    context = error.get("ctx") or {}
    if error["type"] == "value_error" and "en" in context:  # a rule of our models, said in both languages
        return str(context["en"] if language() == ENGLISH else error["msg"])
    template = PESAN.get(error["type"])
    if template is None:
        return str(error["msg"]).removeprefix("Value error, ")
    try:
        said = template.said().format(**context)
    except (KeyError, IndexError):
        return str(error["msg"])
    return said.replace("' or '", say("' atau '", "' or '"))
