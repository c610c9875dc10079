"""`adcli compare --order 2`: the Hessian from every mode side by side, with deviations and cost.

The Hessian is the Jacobian of the gradient, so the comparison is one of adcli.compare's: its
"outputs" are the gradient's entries ∂f/∂x …, their values the gradient, their Jacobian the Hessian,
and adcli.render_compare draws it as it draws a first-order comparison. The modes are adcli hess's
(adcli.hessian): forward-over-reverse, forward-over-forward, numeric, symbolic; the reference is
symbolic, else forward-over-reverse; `--with torch,jax` adds torch.func.hessian and jax.hessian (no jit)
on the same tape. On array variables the rows and columns are the variables' entries, flattened and
labelled as `adcli hess` prints them (w[0], A[0,1]); where matrix calculus has no rule (max(x)), symbolic
mode is left out with a note rather than counted as a failure.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

from adcli.commands import peers as peering
from adcli.commands.compare import ATOL, RTOL, Comparison, ModeRun, _entries, peers
from adcli.commands.hessian import MAX_INPUTS, MODES, check_problem, check_size, hessian
from adcli.core.errors import AdcliError
from adcli.core.tape import require_detailed

ORDER_MODES = MODES[1:]  # auto is one of them
SYMBOLIC_GAPS = ("symbolic",)  # on arrays, matrix calculus refuses some primitives (max(x)) with a usage_error


def _labels(problem: Any) -> list[str]:
    """The Hessian's rows and columns as `adcli hess` labels them: the variables, or their entries (w[0], A[0,1])."""
    if problem.tape.shapes is None:
        return list(problem.wrt)
    from adcli.modes.arrays import entry_labels

    return [lab for k, w in enumerate(problem.wrt) for lab in entry_labels(w, problem.tape.shapes[k])]


def _run(mode: str, problem: Any, repeat: int, failures: dict[str, AdcliError]) -> ModeRun:
    times = []
    try:
        for _ in range(max(1, repeat)):
            started = time.perf_counter()
            result = hessian(problem, mode)
            times.append(time.perf_counter() - started)
    except AdcliError as exc:
        failures[mode] = exc
        return ModeRun(mode, error={"kind": exc.kind, "message": exc.message})
    nfev = result.cost.get("function_evaluations")
    operations = result.cost.get("derivative_ops")
    return ModeRun(
        mode,
        jacobian=result.hessian,
        value=result.gradient,
        sweeps=result.sweeps,
        operations=None if operations is None else result.cost["primal_ops"] + operations,
        seconds=statistics.median(times),
        cost=dict(result.cost),
        error_estimate=result.error_estimate,
        nfev=nfev,
        warnings=[w.to_dict() for w in result.warnings],
    )


def _peer_runs(names: Sequence[str], problem: Any, repeat: int) -> tuple[dict[str, ModeRun], list[str]]:
    runs, notes = {}, []
    for name in names:
        try:
            module = peering.load(name)
        except peering.MissingError as exc:
            notes.append(str(exc))
            continue
        try:
            times = []
            for _ in range(max(1, repeat) + 1):  # the first call warms up (JAX compiles each operation)
                started = time.perf_counter()
                answer = peering.hessian(name, module, problem.tape, problem.point, problem.wrt)
                times.append(time.perf_counter() - started)
        except (RuntimeError, ValueError, TypeError, ArithmeticError) as exc:
            runs[name] = ModeRun(name, error={"kind": "framework_error", "message": str(exc)}, peer=True)
            notes.append(f"{name} did not run: {exc}")
            continue
        cost = {"vjps": answer.vjps, "framework_calls": answer.ops, "first_call_us": round(times[0] * 1e6)}
        runs[name] = ModeRun(
            name, jacobian=answer.jacobian, value=answer.value, sweeps=answer.vjps,
            seconds=statistics.median(times[1:]), cost=cost, peer=True, version=answer.version,
        )  # fmt: skip
    return runs, notes


def _checked(problem: Any, rtol: float, atol: float) -> list[str]:
    """The problem's checks before any mode runs; the Hessian's row and column labels."""
    if not (rtol >= 0 and atol >= 0):
        raise AdcliError("usage_error", "--rtol and --atol must be numbers >= 0")
    check_problem(problem, "compare --order 2", arrays=True)
    labels = _labels(problem)
    if problem.tape.shapes is None:
        check_size(problem)
    elif len(labels) > MAX_INPUTS:
        raise AdcliError(
            "limit_exceeded", f"a Hessian over {len(labels)} entries is above the limit of {MAX_INPUTS} entries"
        )
    require_detailed(len(problem.tape.nodes) - problem.tape.first_op, "compare")  # every mode, each timed
    return labels


def _gaps(problem: Any, default: bool, runs: dict[str, ModeRun], failures: dict[str, AdcliError]) -> list[str]:
    """On arrays with the default modes, matrix calculus's gaps (max(x)) are said in a note, not a failure."""
    if not default or problem.tape.shapes is None:
        return []
    notes = []
    for m in [m for m in SYMBOLIC_GAPS if m in failures and failures[m].kind == "usage_error"]:
        notes.append(f"{m} is not run here: {failures.pop(m).message}")
        del runs[m]
    return notes


def compare(  # noqa: PLR0913 - the options of `adcli compare`
    problem: Any,
    modes: Sequence[str] | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
    repeat: int = 3,
    frameworks: Sequence[str] = (),
    strict_peers: bool = False,
) -> Comparison:
    """Every mode's Hessian of a prepared one-output problem, judged against symbolic (else forward-over-reverse)."""
    labels = _checked(problem, rtol, atol)
    chosen = list(modes) if modes is not None else list(ORDER_MODES)
    unknown = [m for m in chosen if m not in ORDER_MODES]
    if unknown or not chosen or len(set(chosen)) != len(chosen):
        raise AdcliError("usage_error", f"--modes with --order 2 names each of {', '.join(ORDER_MODES)} at most once")
    frameworks = peers(frameworks)
    failures: dict[str, AdcliError] = {}
    runs = {m: _run(m, problem, repeat, failures) for m in chosen}
    skipped = _gaps(problem, modes is None, runs, failures)
    ok = [m for m, r in runs.items() if r.error is None]
    if not ok:
        raise next(iter(failures.values()))
    reference = next((m for m in ("symbolic", "forward-over-reverse") if m in ok), ok[0])
    ref = runs[reference]
    peer_runs, peer_notes = _peer_runs(frameworks, problem, repeat)
    runs.update(peer_runs)
    deviation, disagreements = {}, []
    for m in ok + [p for p, r in peer_runs.items() if r.error is None]:
        deviation[m], bad = _entries(runs[m], ref, rtol, atol)
        for i, k in bad:
            value, expected = runs[m].jacobian[i][k], ref.jacobian[i][k]  # type: ignore[index]
            why = "an exact mode differs beyond rounding: please report it as a bug"
            if m == "numeric":
                why = "the second differences and the exact modes differ (see the numeric error estimate)"
            elif runs[m].peer:
                why = f"{m} gives a different second derivative here (its own rules or conventions)"
            disagreements.append(
                {"mode": m, "entry": f"d2f/d{labels[i]}d{labels[k]}", "output": i, "wrt": labels[k],
                 "value": value, "reference": expected, "deviation": deviation[m][i][k], "why": why,
                 "peer": runs[m].peer}
            )  # fmt: skip
    failed = [m for m in runs if m not in ok and not runs[m].peer]
    peers_agree = None
    if frameworks:
        peers_agree = len(peer_runs) == len(frameworks) and all(r.error is None for r in peer_runs.values())
        peers_agree = peers_agree and not any(d["peer"] for d in disagreements)
    n, parsed = len(labels), problem.parsed
    fr = runs.get("forward-over-reverse")
    hvps = fr.sweeps if fr is not None and fr.error is None else n  # one per colour of the sparsity pattern
    shape = (
        f"Hessian of f: ℝ{n} → ℝ: forward-over-reverse needs {hvps} Hessian-vector products, forward-over-forward "
        f"{n * (n + 1) // 2} nested forward sweeps"
        + (
            f", symbolic {n} gradients of the gradient's entries"
            if problem.tape.shapes is not None
            else f", symbolic {n * (n + 1) // 2} second partials"
        )
    )
    return Comparison(
        input=parsed.source,
        read_as=parsed.read_as(),
        at=dict(problem.point),
        wrt=labels,
        outputs=[f"df/d{w}" for w in labels],
        value=list(ref.value or []),
        reference=reference,
        rtol=rtol,
        atol=atol,
        modes=runs,
        deviation=deviation,
        agree=not any(not d["peer"] for d in disagreements) and not failed and (not strict_peers or bool(peers_agree)),
        disagreements=disagreements,
        shape=shape.replace("ℝ" + str(n), "ℝ" + "".join("⁰¹²³⁴⁵⁶⁷⁸⁹"[int(c)] for c in str(n))),
        notes=skipped + [f"{m} did not run: {runs[m].error['message']}" for m in failed] + peer_notes,  # type: ignore[index]
        peers=list(frameworks),
        strict_peers=strict_peers,
        peers_agree=peers_agree,
        order=2,
    )
