"""Progress on a terminal's stderr (never on stdout, never in a pipe): batches and long point sets.

A batch's total is unknown while it streams in: it shows the lines read, their rate, the problems done
and failed. A point set's total is known: a bar with its percentage and the time left. Both appear
only after a second (a quick run draws nothing) and vanish when done (`transient`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

SHOW_AFTER = 1.0  # seconds before a display appears
EVERY = 0.1  # seconds between its updates


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


class ProgressBar:
    """A batch from files or stdin: lines read, lines a second, problems done and failed, time taken."""

    def __init__(self) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        said = "{task.fields[lines]:,} lines read · {task.fields[rate]:,.0f}/s · {task.completed:,} problems"
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn(said + " · {task.fields[failed]:,} failed"),
            TimeElapsedColumn(),
            console=_console(),
            transient=True,
        )
        self.first: tuple[float, int] | None = None  # (time, lines) at the first update: the rate is since then
        self.task = self.progress.add_task("batch", total=None, failed=0, lines=0, rate=0.0)
        self.progress.start()

    def update(self, done: int, failed: int, lines: int = 0) -> None:
        now = time.monotonic()
        self.first = self.first or (now, lines)
        rate = (lines - self.first[1]) / (now - self.first[0]) if now > self.first[0] else 0.0
        self.progress.update(self.task, completed=done, failed=failed, lines=lines, rate=rate)

    def close(self) -> None:
        self.progress.stop()


class PointsBar:
    """One point set being written: a bar, the percentage, points done of the total, the time left."""

    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.completed:,} of {task.total:,} points"),
            TextColumn("· left"),
            TimeRemainingColumn(),
            console=_console(),
            transient=True,
        )
        self.task = self.progress.add_task("points", total=total)
        self.progress.start()

    def update(self, done: int) -> None:
        self.progress.update(self.task, completed=done)

    def close(self) -> None:
        self.progress.stop()


class Ticker:
    """Calls for the progress of one point set, cheap until a second has passed: then `make(total)`'s bar."""

    def __init__(self, total: int, make: Callable[[int], Any] | None) -> None:
        self.total, self.make, self.bar = total, make, None
        self.started = self.last = time.monotonic()

    def __call__(self, done: int) -> None:
        if self.make is None:
            return
        now = time.monotonic()
        if now - self.started >= SHOW_AFTER and now - self.last >= EVERY:
            self.bar = self.bar or self.make(self.total)
            self.bar.update(done)
            self.last = now

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
