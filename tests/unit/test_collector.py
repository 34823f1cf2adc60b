"""Python's collector paused for a rebuild's feed, and left as it was found afterwards."""

from __future__ import annotations

import gc

import pytest

from ksd_common import collector


def test_the_collector_is_off_while_paused_and_on_again_after() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_failure_while_paused_turns_it_on_again() -> None:
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("a batch failed")
    assert gc.isenabled()


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
