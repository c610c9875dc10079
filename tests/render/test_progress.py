"""Progress displays (issue 15): a point set's bar (percentage, time left) after a second, batches' lines read."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from adcli.render import progress


def test_a_point_sets_bar_appears_after_a_second_and_reaches_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(x * 0.25 for x in range(1000))
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    made: list[list[int]] = []

    class Bar:
        def __init__(self, total: int) -> None:
            self.seen = [total]
            made.append(self.seen)

        def update(self, done: int) -> None:
            self.seen.append(done)

        def close(self) -> None:
            self.seen.append(-1)

    tick = progress.Ticker(100, Bar)
    tick(10)  # 0.25 s: nothing yet
    tick(20)
    tick(30)
    assert made == []
    for done in (40, 50, 100):
        tick(done)
    tick.close()
    assert made == [[100, 40, 50, 100, -1]]
    quiet = progress.Ticker(100, None)  # not a terminal: no bar ever
    quiet(100)
    quiet.close()


def test_the_bars_show_percentage_time_left_and_lines_read(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(progress, "_console", lambda: Console(file=out, force_terminal=True, width=100))
    bar = progress.PointsBar(1_000_000)
    bar.update(250_000)
    bar.progress.refresh()
    bar.close()
    assert "25%" in out.getvalue() and "250,000 of 1,000,000 points" in out.getvalue() and "left" in out.getvalue()
    out.truncate(0)
    lines = progress.ProgressBar()
    lines.update(40, 2, 45)
    lines.progress.refresh()
    lines.close()
    assert "45 lines read" in out.getvalue() and "/s" in out.getvalue() and "2 failed" in out.getvalue()
