"""`adcli hess`: the Hessian of a scalar expression, its gradient, eigenvalues and a verdict on the point.

Computation only: returns a `Hessian` (plain data); adcli.render_hessian prints it. The AD modes are
nested: forward-over-reverse (adcli.modes.second_order) — a Hessian-vector product per colour of the
Hessian's sparsity pattern, from the local Hessians of the tape's operations by a tangent and an adjoint
sweep — or forward-over-forward (adcli.modes.nested) for very few inputs; `--hvp v` is one product
without the matrix. Numeric mode takes second differences with
Richardson extrapolation (adcli.modes.second), symbolic mode differentiates the expression twice
(adcli.modes.symbolic) and evaluates. Kinks and domain edges are errors here in every mode: a Hessian
does not exist where the first derivative jumps.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adcli.commands.curvature import (  # noqa: F401 - the names hess's users import from here
    ETOL,
    GTOL,
    MAX_INPUTS,
    MODES,
    Hessian,
    classify,
    critical,
    finite,
    refuse_kinks,
    subnormal,
)
from adcli.core import seeds
from adcli.core.errors import AdcliError
from adcli.core.tape import evaluate, local_partials

FOF_MAX = 3  # auto: forward-over-forward up to this many inputs (its O(n²) tangents are cheap there)

# ---- checks -------------------------------------------------------------------------------------


def check_problem(problem: Any, command: str = "hess", arrays: bool = False) -> None:
    """One output and one point: else a usage_error that says what to do. Array variables only where
    the command takes them (`hess` and its `--hvp`; not yet taylor or compare --order 2)."""
    from adcli.commands.trace import require_one_point

    shapes = problem.tape.shapes
    if shapes is not None and not arrays:
        raise AdcliError(
            "usage_error",
            f"{command} takes scalar expressions; arrays work with hess, grad, jac and (first-order) compare",
        )
    if shapes is not None and len(problem.tape.outputs) == 1 and shapes[problem.tape.outputs[0]] != ():
        shape = shapes[problem.tape.outputs[0]]
        raise AdcliError(
            "usage_error",
            f"{command} needs a scalar output; this expression has shape {shape}: reduce it (sum(…)) or index an entry",
        )
    outputs = len(problem.tape.outputs)
    if outputs != 1:
        raise AdcliError(
            "usage_error",
            f"{command} needs one output; this expression has {outputs}: give each output on its own "
            f'(adcli {command} "{problem.parsed.read_as().split(",")[0].strip()}" …)',
        )
    if shapes is None:  # on an array tape the arrays are one point's values
        require_one_point(problem.point, command)
    if not problem.wrt and command != "taylor":  # fuzzing: `.5` was an internal error in hess, compare --order 2
        raise AdcliError(
            "usage_error",
            f"{command} differentiates with respect to variables; {problem.parsed.read_as()[:60]} has none",
        )


def check_size(problem: Any) -> None:
    """A Hessian matrix of at most MAX_INPUTS variables (the product --hvp has no such limit)."""
    if len(problem.wrt) > MAX_INPUTS:
        raise AdcliError(
            "limit_exceeded",
            f"a Hessian of {len(problem.wrt)} variables has {len(problem.wrt) ** 2:,} entries; the limit is "
            f"{MAX_INPUTS} variables: use --hvp for Hessian-vector products",
        )


# ---- the modes ----------------------------------------------------------------------------------


def _start(problem: Any, mode: str, v: Sequence[float] | None = None) -> tuple[Hessian, list[Any], list[bool], Any]:
    """The primal sweep, and at a kink the pieces to differentiate with (adcli.commands.kinkpieces):
    a kink whose pieces agree to second order is no error; any other is refused here, in every mode."""
    from adcli import api
    from adcli.commands import kinkpieces
    from adcli.modes import second_order

    tape = problem.tape
    warnings = list(problem.warnings)
    active = tape.active(problem.wrt)
    vals = evaluate(tape, api._inputs(problem), active, warnings, refuse=False)  # every kink settled below
    n = len(problem.wrt)

    def compute(pieces: Any) -> tuple[np.ndarray, np.ndarray]:
        partials = local_partials(tape, vals, active, [])
        if v is not None:
            return second_order.hvp(tape, vals, partials, active, v, pieces)
        return second_order.hessian_by_rows(tape, vals, partials, active, n, pieces)

    pieces, note = kinkpieces.settle(tape, vals, active, warnings, compute, refuse_kinks)
    subnormal(tape, vals, warnings)
    base = api._base(problem, vals, mode, 0)
    result = Hessian(base.input, base.read_as, base.wrt, base.at, mode, base.value[0], [], notes=base.notes)
    result.notes += [note] if note else []
    result.warnings = warnings
    return result, vals, active, pieces


def _nested(  # noqa: PLR0913
    problem: Any, mode: str, result: Hessian, vals: list[Any], active: list[bool], pieces: Any
) -> np.ndarray:
    from adcli.modes import nested, second_order

    tape, n = problem.tape, len(problem.wrt)
    ops = len(tape.nodes) - tape.first_op
    if mode == "forward-over-forward":
        # the first-order partials' own checks, so each mode refuses alike (x^y at x < 0: domain_error,
        # where the duals of duals would only see a NaN)
        local_partials(tape, vals, active, [])
        gradient, matrix = nested.forward_over_forward(tape, vals, active, n, pieces)
        result.sweeps = n * (n + 1) // 2
        result.cost = {"primal_ops": ops, "nested_forward_passes": 1, "second_order_tangents": n * n}
        result.notes.append(
            f"forward-over-forward: {result.sweeps} nested forward sweeps (one per pair of variables), "
            "carried together as duals of duals in one pass"
        )
    else:
        partials = local_partials(tape, vals, active, result.warnings)
        gradient, matrix, c = second_order.hessian_directions(tape, vals, partials, active, n, pieces)
        result.sweeps = c
        result.cost = {"primal_ops": ops, "directions": c}
        result.notes.append(f"forward-over-reverse: {_how(n, c)}")
    result.gradient = [float(g) for g in gradient]
    return np.asarray(matrix, dtype=float)


def _how(n: int, c: int) -> str:
    """The note on a forward-over-reverse Hessian: how many products, and how they were carried."""
    from adcli.modes import second_order

    s = "s" if c != 1 else ""
    carried = "as vector tangents in one sweep" if c > second_order.SCALAR_SWEEPS else "two directions a sweep"
    shared = (
        "from the local Hessians of the nonlinear operations (the table's rules on duals, once) by a tangent "
        f"sweep and an adjoint sweep, {carried}"
    )
    if c < n:
        return (
            f"{c} Hessian-vector product{s} for {n} variables: the Hessian's sparsity pattern has {c} colour{s} "
            f"(columns of one colour share no row); {shared}"
        )
    return f"{n} Hessian-vector product{s}, {shared}"


def choose(mode: str, n: int) -> str:
    if mode not in MODES:
        raise AdcliError("usage_error", f"unknown mode {mode!r}: choose {', '.join(MODES)}")
    if mode == "auto":
        return "forward-over-forward" if n <= FOF_MAX else "forward-over-reverse"
    return mode


def hessian(problem: Any, mode: str = "auto", vector: Mapping[str, float] | Sequence[float] | None = None) -> Hessian:
    """The Hessian of a prepared one-output problem (adcli.api.prepare) at its point, by `mode`; with
    `vector`, the Hessian-vector product alone (one forward-over-reverse sweep, no matrix)."""
    started = time.perf_counter()
    check_problem(problem, arrays=True)
    if problem.tape.shapes is not None:
        from adcli.commands import arrayhessian

        return arrayhessian.hessian(problem, mode, vector, started)
    n = len(problem.wrt)
    if vector is not None:
        return _hvp(problem, mode, vector, started)
    check_size(problem)
    mode = choose(mode, n)
    result, vals, active, pieces = _start(problem, mode)
    slack_g = slack_e = 0.0
    if mode in ("forward-over-reverse", "forward-over-forward"):
        matrix = _nested(problem, mode, result, vals, active, pieces)
    elif mode == "symbolic":
        from adcli.commands.diff import pass_guard
        from adcli.modes.symbolic import hessian as symbolic_hessian

        guard = pass_guard(True, "use --mode forward-over-reverse")
        matrix = symbolic_hessian.hessian(problem, result, guard, pieces)
    else:
        from adcli.modes.numeric import hessian as second

        matrix, slack_g, slack_e = second.hessian(problem, result, vals)
    finite(matrix, result)
    result.hessian = np.asarray(matrix, dtype=float).tolist()  # floats, as C does it
    critical(result, slack_g, matrix)
    classify(result, matrix, slack_e)
    result.seconds = time.perf_counter() - started
    return result


def resolve_vector(wrt: Sequence[str], given: Mapping[str, float] | Sequence[float]) -> list[float]:
    """--hvp's v by name (x=1,y=0; the others 0) or in order (1,0), a number per variable (adcli.core.seeds)."""
    return list(seeds.entries("--hvp", given, wrt, [()] * len(wrt)).values())


def _hvp(problem: Any, mode: str, given: Any, started: float) -> Hessian:
    from adcli.modes import second_order

    if mode not in ("auto", "forward-over-reverse"):
        raise AdcliError("usage_error", f"--hvp runs one forward-over-reverse sweep; it cannot run in {mode} mode")
    v = resolve_vector(problem.wrt, given)
    result, vals, active, pieces = _start(problem, "forward-over-reverse", v)
    tape = problem.tape
    partials = local_partials(tape, vals, active, result.warnings)
    gradient, product = second_order.hvp(tape, vals, partials, active, v, pieces)
    result.gradient = [float(g) for g in gradient]
    result.vector = dict(zip(problem.wrt, v, strict=True))
    result.hvp = [float(p) for p in product]
    if not np.all(np.isfinite(product)):
        raise AdcliError("nonfinite", "the Hessian-vector product is not finite")
    critical(result)  # no matrix: only an exact 0 is critical (the verdict is not printed with --hvp)
    result.verdict = None
    result.sweeps = 1
    result.cost = {"primal_ops": len(tape.nodes) - tape.first_op, "tangent_sweeps": 1, "adjoint_sweeps": 1}
    result.notes.append("one Hessian-vector product: a tangent sweep and an adjoint sweep on duals, no matrix")
    result.seconds = time.perf_counter() - started
    return result
