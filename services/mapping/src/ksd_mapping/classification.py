"""Which urusan an agreement serves when its register gave no codes: phrases of its title and objects
in Bahasa Indonesia, by rules kept as data (`data/classification.json`), never a guess."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Match:
    phrase: str
    urusan: str
    start: int
    end: int

    def inside(self, other: Match) -> bool:
        """Whether this phrase is part of a longer phrase found at the same place."""
        return self != other and other.start <= self.start and self.end <= other.end and (
            other.end - other.start > self.end - self.start)


def normalize(text: str) -> str:
    """Lower case, punctuation as spaces, single spaces: `e-KTP` and `E KTP` read alike."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


@cache
def rules() -> dict[str, str]:
    """Phrase (normalized) -> urusan code."""
    raw = resources.files("ksd_mapping").joinpath("data", "classification.json").read_text(encoding="utf-8")
    return {normalize(p): r["urusan"] for r in json.loads(raw)["rules"] for p in r["phrases"]}


@cache
def _pattern() -> re.Pattern[str]:
    phrases = sorted(rules(), key=len, reverse=True)
    # A lookahead finds overlapping phrases too ("kesehatan hewan" and "kesehatan" at one place).
    return re.compile(r"(?<![0-9a-z])(?=(" + "|".join(re.escape(p) for p in phrases) + r")(?![0-9a-z]))")


def matches(text: str) -> list[Match]:
    """Every phrase of the rules found in `text` as whole words, except those inside a longer one."""
    normalized = normalize(text)
    found: list[Match] = []
    for m in _pattern().finditer(normalized):
        # The longest phrase starting here is what the regex returns; shorter ones at the same start
        # are inside it, and phrases starting later are found at their own positions.
        phrase = m.group(1)
        found.append(Match(phrase, rules()[phrase], m.start(), m.start() + len(phrase)))
    return [m for m in found if not any(m.inside(other) for other in found)]


def classify_text(title: str, objects: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """(urusan codes in code order, the phrases that named them); no codes when no rule applies."""
    found = [m for text in [title, *objects] for m in matches(text)]
    evidence = sorted({(m.phrase, m.urusan) for m in found}, key=lambda pu: (pu[1], pu[0]))
    return sorted({m.urusan for m in found}), [{"phrase": p, "urusan": u} for p, u in evidence]
