"""`adcli check`: is ANSWER a correct derivative of EXPR? For students and autograders.

First symbolically, where the simplifier can decide: the derivative from the rule table minus the
answer simplifies to 0. Otherwise numerically: the answer against reverse-mode AD at the given
point and at random points inside the domain (a fixed seed, so a verdict is reproducible), with a
stated tolerance; the first point where they differ is the counterexample.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from adcli.errors import AdcliError
from adcli.graph import Node, build, const, is_const, variables
from adcli.printing import to_text
from adcli.syntax import Parsed, parse

RTOL, ATOL = 1e-7, 1e-9
TRIES = 40  # random candidates per point wanted (most are in the domain)


@dataclass
class Verdict:
    verdict: str  # "correct" | "wrong" | "undecided"
    method: str  # "symbolic" | "numeric"
    reason: str
    wrt: list[str]
    points: int = 0  # points checked numerically
    rtol: float = RTOL
    atol: float = ATOL
    counterexample: dict[str, Any] | None = None
    derivative: str | None = None  # the derivative adcli finds, simplified (when symbolic mode is there)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.verdict == "correct" else 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _answer(text: str, strict: bool) -> Parsed:
    """The answer, parsed; its errors point into the answer (not the expression)."""
    try:
        return parse(text, strict=strict)
    except AdcliError as exc:
        exc.message = f"in the answer: {exc.message}"
        raise


def _wrt(expr: Parsed, answer: Parsed, wrt: Sequence[str] | None) -> list[str]:
    names = variables(expr.outputs)
    if len(expr.outputs) != 1:
        raise AdcliError("usage_error", f"check needs one expression; --of has {len(expr.outputs)} outputs")
    if wrt is None:
        if len(names) != 1:
            raise AdcliError("usage_error", f"the expression has variables {', '.join(names)}: say which with --wrt")
        wrt = names
    if len(answer.outputs) != len(wrt):
        raise AdcliError(
            "usage_error", f"the answer has {len(answer.outputs)} part(s); --wrt asks for {len(wrt)} (one per variable)"
        )
    extra = [n for n in variables(answer.outputs) if n not in names and n not in wrt]
    if extra:
        raise AdcliError("usage_error", f"the answer uses {', '.join(extra)}, which the expression does not have")
    return list(wrt)


def _symbolic(expr: Parsed, answer: Parsed, wrt: list[str]) -> tuple[bool, str] | None:
    """(decided equal?, derivative text), or None when symbolic mode is not installed."""
    if importlib.util.find_spec("adcli.modes.symbolic") is None:
        return None
    from adcli.modes import symbolic
    from adcli.simplify import Simplifier

    root = expr.outputs[0]
    derivatives: list[Node] = [symbolic.tangent_sweep([root], w).get(root, const(0)) for w in wrt]
    simple = Simplifier([root, *answer.outputs]).simplify(derivatives)
    differences = Simplifier([root]).simplify([build("sub", d, a) for d, a in zip(simple, answer.outputs, strict=True)])
    text = ", ".join(to_text(d) for d in simple)
    return all(is_const(d, 0) for d in differences), text


def _candidates(
    names: Sequence[str], given: dict[str, float], rng: np.random.Generator, n: int
) -> list[dict[str, float]]:
    """The given point, then random ones: half uniform in [-3, 3], half log-uniform in [0.05, 5] (for logs, roots)."""
    points = [given] if given and all(k in given for k in names) else []
    for k in range(n):
        if k % 2:
            values = rng.uniform(-3.0, 3.0, len(names))
        else:
            values = np.exp(rng.uniform(np.log(0.05), np.log(5.0), len(names)))
        points.append({name: float(v) for name, v in zip(names, values, strict=True)})
    return points


def _numeric(
    expr_text: str, answer_text: str, wrt: list[str], given: dict[str, float], options: dict[str, Any]
) -> Verdict:
    from adcli import api

    names = variables(parse(expr_text).outputs)
    names += [w for w in wrt if w not in names]
    start = {n: 1.0 for n in names}
    expr = api.prepare(expr_text, start, wrt)
    answer = api.prepare(answer_text, start)
    wanted, rtol, atol = options.points, options.rtol, options.atol
    checked = 0
    for point in _candidates(names, given, np.random.default_rng(options.seed), wanted * TRIES):
        expr.point, answer.point = dict(point), dict(point)
        try:
            result = api.differentiate(expr, "reverse")
            values = api.evaluate_problem(answer).value
        except AdcliError:
            continue  # outside a domain: not a point to judge at
        if any(w.kind == "nondifferentiable" for w in result.warnings):
            continue
        derivative = result.jacobian[0]  # type: ignore[index]
        for w, a, d in zip(wrt, values, derivative, strict=True):
            if not abs(a - d) <= atol + rtol * max(abs(a), abs(d)):
                reason = f"the answer differs from d/d{w} of the expression (tolerance rtol {rtol:g}, atol {atol:g})"
                ce = {"at": point, "wrt": w, "answer": a, "derivative": d}
                return Verdict("wrong", "numeric", reason, wrt, checked + 1, rtol, atol, ce)
        checked += 1
        if checked >= wanted:
            break
    if checked == 0:
        return Verdict("undecided", "numeric", "no point inside the domain of both was found", wrt, 0, rtol, atol)
    reason = f"the answer equals the derivative at {checked} point(s) inside the domain (rtol {rtol:g}, atol {atol:g})"
    notes = [] if checked >= wanted else [f"only {checked} of {wanted} points were found inside the domain"]
    return Verdict("correct", "numeric", reason, wrt, checked, rtol, atol, notes=notes)


@dataclass(frozen=True)
class Options:
    """How the numeric check samples: how many in-domain points, from which seed, to what tolerance."""

    points: int = 12
    seed: int = 0
    rtol: float = RTOL
    atol: float = ATOL


def check(
    answer: str,
    expr: str,
    wrt: Sequence[str] | None = None,
    at: Any = None,
    options: Options | None = None,
    strict: bool = False,
) -> Verdict:
    """Is `answer` the derivative of `expr` (the gradient, one part per --wrt variable)?"""
    options = options or Options()
    if options.points < 1 or not (options.rtol >= 0 and options.atol >= 0):
        raise AdcliError("usage_error", "--points must be at least 1, --rtol and --atol at least 0")
    parsed_answer = _answer(answer, strict)
    parsed = parse(expr, strict=strict)
    names = _wrt(parsed, parsed_answer, wrt)
    from adcli import api

    given = api.prepare(expr, at, names).point if at is not None else {}
    symbolic = _symbolic(parsed, parsed_answer, names)
    if symbolic is not None and symbolic[0]:
        verdict = Verdict("correct", "symbolic", "the derivative minus the answer simplifies to 0", names)
    else:
        verdict = _numeric(expr, answer, names, given, options)
    verdict.derivative = symbolic[1] if symbolic is not None else None
    return verdict
