"""``prowtui.commands.common.run``: the collector runs less often during a command, and the
caller's thresholds come back afterwards (tests and library callers run commands in process)."""

from __future__ import annotations

import gc

from prowtui.commands.common import GC_THRESHOLD, run
from prowtui.errors import ProwtuiError


def test_a_command_runs_with_a_higher_gc_threshold_and_restores_the_callers() -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    async def body() -> int:
        seen.append(gc.get_threshold())
        return 7

    assert run(body) == 7
    assert seen == [(max(GC_THRESHOLD, before[0]), before[1], before[2])]
    assert gc.get_threshold() == before


def test_thresholds_come_back_when_the_command_fails() -> None:
    before = gc.get_threshold()

    async def body() -> int:
        raise ProwtuiError("no such job")

    assert run(body) == 1
    assert gc.get_threshold() == before
