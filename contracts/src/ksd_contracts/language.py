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
