"""Every text a person reads is written once, as a pair in Bahasa Indonesia and English: the
catalogues (pydantic's errors, the rules' meanings) and every sentence made in the code with
`say(id, en)` or `rule_broken(id, en)`. Which of the two an answer says is chosen from the
request's `Accept-Language`, Bahasa Indonesia by default."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from ksd_common.audience import negotiate
from ksd_common.problems import PESAN
from ksd_contracts import labels
from ksd_contracts.language import Words, say, speaking

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for folder in ("contracts/src", "services") for p in (ROOT / folder).rglob("*.py")
                 if p.name != "language.py")  # where the pair is defined, not used
PAIRED = {"say": (0, 1), "rule_broken": (0, 1), "Words": (0, 1), "Reason": (1, 2), "reason": (1, 2), "flag": (1, 2)}
"""The functions that take a text as (Bahasa Indonesia, English), and where the two are: the
catalogues' pairs, sentences said now, a model rule's error, and the rejections and flags of the
agreement and mapping services, which travel in events with both."""


@pytest.mark.parametrize(("header", "language"), [
    (None, "id"), ("", "id"), ("id", "id"), ("en", "en"), ("en-US,en;q=0.9", "en"), ("id-ID, en;q=0.5", "id"),
    ("en;q=0.4, id;q=0.8", "id"), ("fr, de", "id"), ("*", "id"), ("fr, en;q=0.3", "en"), ("en;q=0", "id"),
    ("en;q=abc", "id"),
])
def test_the_language_is_chosen_from_accept_language_indonesian_by_default(header: str | None, language: str) -> None:
    assert negotiate(header) == language


def test_every_catalogue_entry_says_it_in_both_languages() -> None:
    catalogue = [*PESAN.values(), *(words for pair in labels.RULES.values() for words in pair)]
    assert catalogue and all(isinstance(w, Words) and w.id.strip() and w.en.strip() for w in catalogue)
    assert all(w.id != w.en for w in catalogue), [w for w in catalogue if w.id == w.en]
    # the two languages of one template take the same values
    assert all(_fields(w.id) == _fields(w.en) for w in PESAN.values())


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _text(node: ast.expr) -> str | None:
    """A literal text as written (an f-string's literal parts), or None when it is not a literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.Attribute) and node.attr in ("id", "en"):  # one language of a pair defined once
        return ast.unparse(node)
    return None


def test_every_sentence_made_in_the_code_is_written_in_both_languages() -> None:
    calls = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PAIRED and (
                    len(node.args) > max(PAIRED[node.func.id])):
                calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    assert len(calls) > 100  # the tree is read, not an empty folder
    for where, call in calls:
        id_at, en_at = PAIRED[call.func.id]  # type: ignore[attr-defined]
        indonesian, english = (_text(call.args[id_at]), _text(call.args[en_at]))
        if not any(c.isalpha() for c in (indonesian or "") + (english or "")):
            continue  # a text said where it was made (a field's message), passed on in both languages
        assert indonesian and english and indonesian.strip() and english.strip(), where
        assert indonesian != english, where


def test_a_sentence_is_said_in_the_language_of_the_answer() -> None:
    assert say("Tidak ditemukan", "Not found") == "Tidak ditemukan"
    with speaking("en"):
        assert say("Tidak ditemukan", "Not found") == "Not found"
        assert Words("Tidak ditemukan", "Not found").said("id") == "Tidak ditemukan"
    with speaking("fr"):  # not a language of the platform: the default
        assert say("Tidak ditemukan", "Not found") == "Tidak ditemukan"
