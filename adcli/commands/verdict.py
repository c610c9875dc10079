"""A verdict of `adcli check`: correct (proven), agrees (at points, not proven), wrong or undecided.

Its own module so that the scalar check (check.py) and the array check (matcheck.py) share it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from adcli.core.errors import EXIT_AGREES

RTOL, ATOL = 1e-7, 1e-9
#: verdict -> exit code: only a proof is 0; agreeing at points is not one (a distinct code: scripts can tell)
EXIT = {"correct": 0, "agrees": EXIT_AGREES, "wrong": 1, "undecided": 1}


@dataclass
class Verdict:
    verdict: str  # "correct" (proven) | "agrees" (at the points checked; not proven) | "wrong" | "undecided"
    method: str  # "symbolic" | "numeric"
    reason: str
    wrt: list[str]
    answer: str = ""  # the answer checked, as given
    of: str = ""  # the expression it should be the derivative of, as given
    points: int = 0  # points checked numerically
    rtol: float = RTOL
    atol: float = ATOL
    counterexample: dict[str, Any] | None = None
    derivative: str | None = None  # the derivative adcli finds, simplified (when symbolic mode is there)
    notes: list[str] = field(default_factory=list)

    @property
    def proven(self) -> bool:
        """Only the simplifier proves: points agreeing are evidence, not proof (2*x + relu(x - 100000) vs x^2)."""
        return self.verdict == "correct"

    @property
    def exit_code(self) -> int:
        return EXIT[self.verdict]

    def to_dict(self) -> dict[str, Any]:
        fields = asdict(self)
        return {"verdict": fields.pop("verdict"), "proven": self.proven, **fields}
