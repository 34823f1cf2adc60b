"""The progress bar of the long audit commands (verify, rebuild, replay, report, checkpoint): on a
terminal, what is done and how fast, ending full; through a pipe or in a log, nothing."""

from __future__ import annotations

import io

import pytest

from ksd_tools.audit.log import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(stream: io.StringIO, monkeypatch: pytest.MonkeyPatch, label: str) -> str:
    monkeypatch.setattr("sys.stderr", stream)
    progress = Progress(label, 12_000)
    for _ in range(3):
        progress.advance(4_000)
    progress.close()
    return stream.getvalue()


def test_on_a_terminal_the_bar_names_the_command_and_ends_full(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = _run(Terminal(), monkeypatch, "verify")
    last = shown.rstrip("\n").rsplit("\r", 1)[-1]
    assert last.startswith("verify [" + "#" * 30 + "] 12.000/12.000 peristiwa, ")
    assert last.endswith("/detik") and shown.endswith("\n")


def test_through_a_pipe_it_is_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(io.StringIO(), monkeypatch, "rebuild") == ""
