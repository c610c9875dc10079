"""The modes side by side: each one's Jacobian, its deviation from a reference, its cost, in one place.

`compare` runs every mode asked for on one prepared problem, takes symbolic (else reverse) as the
reference, and says in words why an entry disagrees beyond the tolerance. The modes come from a
small registry: forward and reverse always, numeric and symbolic when their modules are there, so
a new mode is one `register` call. Peer frameworks (`--with torch,jax`, adcli.commands.peers) run beside them
and are judged against the same reference, but only adcli's own modes decide `agree` unless
`strict_peers` is set. Computation only; adcli.render.compare draws it.
"""

from __future__ import annotations

import importlib.util
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from adcli.commands import peers as peering
from adcli.core.errors import AdcliError
from adcli.core.printing import format_number, to_text
from adcli.core.tape import require_detailed

Runner = Callable[[Any], Any]  # Problem -> Result

#: mode name -> (the module it needs, or None; how to run it). In the order the table shows them.
REGISTRY: dict[str, tuple[str | None, Runner]] = {}
PEERS = peering.PEERS
RTOL, ATOL = 1e-6, 1e-9


def register(name: str, module: str | None = None) -> Callable[[Runner], Runner]:
    """Add a mode to compare: `module` (e.g. adcli.modes.numeric.estimate) must be importable for it to run."""

    def add(runner: Runner) -> Runner:
        REGISTRY[name] = (module, runner)
        return runner

    return add


def _by_api(mode: str) -> Runner:
    def run(problem: Any) -> Any:
        from adcli import api

        return api.differentiate(problem, mode)

    return run


for _mode, _module in (("forward", None), ("reverse", None), ("numeric", "adcli.modes.numeric.estimate")):
    register(_mode, _module)(_by_api(_mode))
register("symbolic", "adcli.modes.symbolic.derivative")(_by_api("symbolic"))


def available() -> list[str]:
    """The registered modes whose modules are installed."""
    return [m for m, (module, _) in REGISTRY.items() if module is None or importlib.util.find_spec(module)]


@dataclass
class ModeRun:
    """One mode's answer and what it cost (or the error it stopped with)."""

    mode: str
    jacobian: list[list[float]] | None = None
    value: list[float] | None = None
    sweeps: int = 0
    operations: int | None = None
    seconds: float = 0.0
    cost: dict[str, int] = field(default_factory=dict)
    error_estimate: list[list[float]] | None = None
    nfev: int | None = None
    error: dict[str, Any] | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    peer: bool = False  # a framework (torch, jax), not one of adcli's modes
    version: str | None = None  # the framework's version, for a peer


@dataclass
class Comparison:
    input: str
    read_as: str
    at: dict[str, float]
    wrt: list[str]
    outputs: list[str]
    value: list[float]
    reference: str
    rtol: float
    atol: float
    modes: dict[str, ModeRun]
    deviation: dict[str, list[list[float]]]  # |mode - reference| entry by entry
    agree: bool
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    kinks: list[dict[str, Any]] = field(default_factory=list)
    shape: str = ""
    notes: list[str] = field(default_factory=list)
    peers: list[str] = field(default_factory=list)  # the frameworks asked for with --with
    strict_peers: bool = False  # do the peers count toward `agree`?
    peers_agree: bool | None = None  # every peer ran and agreed (None: no peer asked for)
    order: int = 1  # 2: the Hessian (the Jacobian of the gradient; adcli.commands.crosscheck)
    #: no entry disagrees, but numeric's estimate is inconclusive at some (`agree` is false: nothing confirmed
    #: those entries independently; the exit code is 4, as check's "agrees, not proven")
    inconclusive: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _operations(result: Any) -> int:
    """Elementary operations a mode spent: the primal plus its derivative work (numeric: its evaluations)."""
    c = result.cost
    primal = c.get("primal_ops", 0)
    if "function_evaluations" in c:
        return primal * c["function_evaluations"]
    derivative = c.get("tangent_ops", c.get("adjoint_ops", c.get("derivative_ops", 0)))
    return primal + c.get("partials", 0) + derivative


def _run(mode: str, problem: Any, repeat: int, failures: dict[str, AdcliError]) -> ModeRun:
    """One mode's answer and cost; an error stops that mode only (kept whole, place and all, in failures)."""
    _, runner = REGISTRY[mode]
    times = []
    try:
        for _ in range(max(1, repeat)):
            started = time.perf_counter()
            result = runner(problem)
            times.append(time.perf_counter() - started)
    except AdcliError as exc:
        failures[mode] = exc
        return ModeRun(mode, error={"kind": exc.kind, "message": exc.message})
    return ModeRun(
        mode,
        jacobian=result.jacobian,
        value=result.value,
        sweeps=result.sweeps,
        operations=_operations(result),
        seconds=statistics.median(times),
        cost=dict(result.cost),
        error_estimate=getattr(result, "error_estimate", None),
        nfev=getattr(result, "nfev", None),
        warnings=[w.to_dict() for w in result.warnings],
    )


def choose(modes: Sequence[str] | None) -> list[str]:
    """The modes to run: those asked for (each known and installed), or every available one."""
    here = available()
    if modes is None:
        return here
    for m in modes:
        if m not in REGISTRY:
            raise AdcliError("usage_error", f"unknown mode {m!r}: choose from {', '.join(REGISTRY)}")
        if m not in here:
            raise AdcliError("usage_error", f"mode {m!r} is not available in this installation")
    if len(set(modes)) != len(modes) or not modes:
        raise AdcliError("usage_error", "--modes names each mode once, and at least one")
    return list(modes)


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def shape_sentence(n: int, m: int, nfev: int | None = None) -> str:
    """`f: ℝ⁵ → ℝ²: forward needs 5 sweeps, reverse 2`: why one mode is cheaper for this Jacobian."""
    cheaper = "forward" if n < m else "reverse" if m < n else "either"
    sweeps = f"forward needs {n} sweep{'s' if n != 1 else ''} (one per input), reverse {m} (one per output)"
    numeric = f", numeric {nfev} function evaluations" if nfev else ""
    return f"f: ℝ{_superscript(n)} → ℝ{_superscript(m)}: {sweeps}{numeric}; {cheaper} is the cheaper AD mode here"


def _inconclusive(disagreements: list[dict[str, Any]], failed: list[str], strict_peers: bool, peers_agree: Any) -> bool:
    """Only inconclusive numeric entries stand between the modes and agreement."""
    if failed or (strict_peers and not peers_agree) or any(counts(d, strict_peers) for d in disagreements):
        return False
    return any(d.get("inconclusive") for d in disagreements)


def counts(d: dict[str, Any], strict_peers: bool = False) -> bool:
    """Whether a disagreement decides the verdict: not a peer's (unless --strict-peers), not an inconclusive
    numeric estimate."""
    return not d.get("inconclusive") and (strict_peers or not d.get("peer"))


def inconclusive(mode: str, run: ModeRun, i: int, k: int, tol: float, deviation: float) -> bool:
    """A numeric entry whose own error estimate is over the tolerance and covers its difference from the
    reference: it can neither confirm nor contradict it, so the verdict is INCONCLUSIVE, not DISAGREE (a
    sum(x*x) over 3,000 entries was DISAGREE: ±1.4e-6 beside differences of 3e-8 and a tolerance of 2e-8).
    Not "agree" either: (1 - cos(x))/x^2 at 1e-3 is the same picture (±3.6e-6 covers 1.6e-8), and there the
    AD and symbolic values are the ones 2e-4 off, by cancellation. A difference beyond the estimate disagrees."""
    estimate = run.error_estimate[i][k] if mode == "numeric" and run.error_estimate else None
    return estimate is not None and estimate > tol and deviation <= estimate


def _why(  # noqa: PLR0913 - one entry
    mode: str, run: ModeRun, i: int, k: int, kinks: list[dict[str, Any]], tol: float, deviation: float
) -> str:
    estimate = run.error_estimate[i][k] if run.error_estimate else None
    if kinks:
        return (
            f"the point is a kink of {kinks[0]['node']} ({_sides(kinks, i, k)}): "
            f"{mode} and the reference resolve it differently"
        )
    if inconclusive(mode, run, i, k, tol, deviation):
        return (
            f"the numeric estimate is inconclusive here: its own error estimate ±{estimate:.2g} is larger than the "
            f"tolerance and covers the difference {deviation:.2g}, so it neither confirms nor contradicts the "
            "reference (ill-conditioned: no step is both small enough for the curvature and large enough for round-off)"
        )
    if mode == "numeric" and estimate is not None and estimate > tol:
        return (
            f"the numeric estimate is unreliable here: its own error estimate ±{estimate:.2g} is larger than the "
            f"tolerance, yet the difference {deviation:.2g} is larger still (the estimate does not cover it: an "
            "error in numeric mode or in the reference)"
        )
    if mode == "numeric":
        return (
            "the difference quotient and the exact modes differ by more than the quotient's own error estimate: "
            "either the function is not smooth near the point (a kink adcli cannot see, e.g. abs(sin(x)) at a "
            "rounded π), or the program loses digits to cancellation there and the AD and symbolic values carry "
            "that rounding error (e.g. (1 - cos(x))/x^2 near 0)"
        )
    return "two exact modes differ beyond rounding: this should not happen; please report it as a bug"


def _on_paths(tape: Any, wrt: Sequence[str], kinks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each kink with the Jacobian entries [output, column] whose paths pass through it (a loop over the tape)."""
    texts = {s: tape.text(s) for s in range(tape.first_op, len(tape.nodes)) if tape.prims[s].kinks}
    slots = {k["node"]: [s for s, text in texts.items() if text == k["node"]] for k in kinks}
    for k in kinks:  # a kink about one argument (atan2's cut, along y): the paths through that argument
        if "along" in k:
            along = [j for s in slots[k["node"]] for j in tape.args[s] if tape.text(j, 30) == k["along"]]
            slots[k["node"]] = along or slots[k["node"]]
    active = [tape.active([w]) for w in wrt]
    entries: dict[str, list[list[int]]] = {k["node"]: [] for k in kinks}
    for i, o in enumerate(tape.outputs):
        feeds = [False] * len(tape.nodes)  # the slots output i reads, directly or not
        feeds[o] = True
        for s in range(len(feeds) - 1, tape.first_op - 1, -1):
            if feeds[s]:
                for j in tape.args[s]:
                    feeds[j] = True
        for node, mine in slots.items():
            entries[node] += [[i, c] for c in range(len(wrt)) if any(feeds[s] and active[c][s] for s in mine)]
    return [{**k, "entries": entries[k["node"]]} for k in kinks]


def _one_sided(problem: Any, kinks: list[dict[str, Any]], most: int = 64) -> list[dict[str, Any]]:
    """Each kink with the one-sided derivatives of the entries it lies on (modes.numeric.onesided) beside them."""
    from adcli.modes.numeric import onesided

    found: dict[tuple[int, int], dict[str, Any]] = {}
    for k in kinks:
        for i, c in k["entries"]:
            if (i, c) not in found and len(found) < most:
                found[i, c] = onesided.entry(problem, i, c)
    return [{**k, "one_sided": [found.get((i, c)) for i, c in k["entries"]]} for k in kinks]


def _sides(kinks: list[dict[str, Any]], i: int, k: int) -> str:
    """`df1/dx has left derivative -1, right 1` for entry (i, k), from the first kink that measured it."""
    from adcli.modes.numeric import onesided

    for kink in kinks:
        for entry, sides in zip(kink["entries"], kink.get("one_sided", []), strict=False):
            if entry == [i, k] and sides is not None:
                return f"df{i + 1}/d{sides['wrt']} one-sided: {onesided.describe(sides)}"
    return "its one-sided derivatives were not measured"


def _why_peer(mode: str, value: float, reference: str, expected: float, kinks: list[dict[str, Any]]) -> str:
    """Why a framework's entry differs from adcli's: its own kink convention, a non-finite formula, or rounding."""
    gives, ref = f"{mode} gives {format_number(value)}", f"adcli's {reference} gives {format_number(expected)}"
    if kinks:
        k0 = kinks[0]
        return (
            f"{gives}, its own convention at the kink of {k0['node']} (left derivative {k0['left']}, right "
            f"{k0['right']}); {ref} (adcli's convention: {k0['convention']})"
        )
    if not math.isfinite(value):
        return (
            f"{gives}: the framework's derivative formula is not finite at this point (0·∞ in its chain rule?); {ref}"
        )
    return (
        f"{gives} and {ref} with no kink at the point: one of the framework's derivative formulas loses digits "
        "here (e.g. 1 - tanh² or σ(1 - σ) in a tail, which adcli's table writes without cancellation), or one "
        "of the two has a bug"
    )


def _run_peers(names: Sequence[str], problem: Any, repeat: int) -> tuple[dict[str, ModeRun], list[str]]:
    """Each framework's Jacobian as a ModeRun, and a note for each one that is missing or failed."""
    runs, notes = {}, []
    for name in names:
        try:
            module = peering.load(name)
        except peering.MissingError as exc:
            notes.append(str(exc))
            continue
        try:
            answer, seconds, first = peering.timed(name, module, problem.tape, problem.point, problem.wrt, repeat)
        except (RuntimeError, ValueError, TypeError, ArithmeticError) as exc:  # the framework refused the program
            runs[name] = ModeRun(name, error={"kind": "framework_error", "message": str(exc)}, peer=True)
            notes.append(f"{name} did not run: {exc}")
            continue
        cost = {"vjps": answer.vjps, "framework_calls": answer.ops, "first_call_us": round(first * 1e6)}
        runs[name] = ModeRun(
            name,
            jacobian=answer.jacobian,
            value=answer.value,
            sweeps=answer.vjps,
            seconds=seconds,
            cost=cost,
            peer=True,
            version=answer.version,
        )
    return runs, notes


def _entries(run: ModeRun, ref: ModeRun, rtol: float, atol: float) -> tuple[list[list[float]], list[tuple[int, int]]]:
    deviation, bad = [], []
    for i, (row, ref_row) in enumerate(zip(run.jacobian or [], ref.jacobian or [], strict=True)):
        deviation.append([abs(a - b) for a, b in zip(row, ref_row, strict=True)])
        bad += [
            (i, k) for k, (a, b) in enumerate(zip(row, ref_row, strict=True)) if not abs(a - b) <= atol + rtol * abs(b)
        ]
    return deviation, bad


def _column_names(problem: Any) -> list[str]:
    """The Jacobian's columns: the wrt variables, or on arrays each variable's entries (W[1,0])."""
    if problem.tape.shapes is None:
        return list(problem.wrt)
    from adcli.modes.arrays import entry_labels

    return [lab for k, w in enumerate(problem.wrt) for lab in entry_labels(w, problem.tape.shapes[k])]


def compare(  # noqa: PLR0913 - the options of `adcli compare`
    problem: Any,
    modes: Sequence[str] | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
    repeat: int = 3,
    frameworks: Sequence[str] = (),
    strict_peers: bool = False,
) -> Comparison:
    """Run the modes (and the peer frameworks) on a prepared problem (adcli.api.prepare), compare their Jacobians.

    The reference is adcli's own (symbolic, else reverse). Peers are judged against it like the modes, but their
    disagreements count toward `agree` only with strict_peers (then a missing peer counts too).
    """
    if not (rtol >= 0 and atol >= 0):
        raise AdcliError("usage_error", "--rtol and --atol must be numbers >= 0")
    if problem.tape.shapes is None and any(getattr(v, "ndim", 0) for v in problem.point.values()):
        raise AdcliError("usage_error", "compare takes one point: give each variable one value, not a span or list")
    require_detailed(len(problem.tape.nodes) - problem.tape.first_op, "compare")  # every mode, each timed
    frameworks = peers(frameworks)
    failures: dict[str, AdcliError] = {}
    chosen = choose(modes)
    scalar_only: list[str] = []
    runs = {m: _run(m, problem, repeat, failures) for m in chosen}
    ok = [m for m, r in runs.items() if r.error is None]
    if not ok:  # the first mode's error as it came, with its line, column and source (a caret, as grad's)
        raise next(iter(failures.values()))
    reference = next((m for m in ("symbolic", "reverse") if m in ok), ok[0])
    ref = runs[reference]
    kinks = [w for r in runs.values() for w in r.warnings if w.get("kind") == "nondifferentiable"]
    kinks = _on_paths(problem.tape, problem.wrt, list({(k["node"], k["at"]): k for k in kinks}.values()))
    kinks = _one_sided(problem, kinks)
    # a mode that does not handle the problem yet (a usage_error: symbolic mode on softmax of a matrix) is a
    # note, as a scalar-only mode on arrays is; one that failed on the mathematics (domain_error) fails compare
    skipped = [m for m in runs if m not in ok]
    failed = [m for m in skipped if failures[m].kind != "usage_error"]
    notes = scalar_only + [f"{m} did not run: {runs[m].error['message']}" for m in skipped]  # type: ignore[index]
    peer_runs, peer_notes = _run_peers(frameworks, problem, repeat)
    runs.update(peer_runs)
    deviation: dict[str, list[list[float]]] = {}
    disagreements: list[dict[str, Any]] = []
    columns = _column_names(problem)
    for m in ok + [p for p, r in peer_runs.items() if r.error is None]:
        deviation[m], bad = _entries(runs[m], ref, rtol, atol)
        for i, k in bad:
            tol = atol + rtol * abs(ref.jacobian[i][k])  # type: ignore[index]
            value, expected = runs[m].jacobian[i][k], ref.jacobian[i][k]  # type: ignore[index]
            here = [kink for kink in kinks if [i, k] in kink["entries"]]
            unsure = not here and not runs[m].peer and inconclusive(m, runs[m], i, k, tol, deviation[m][i][k])
            disagreements.append(
                {
                    "mode": m,
                    "entry": f"df{i + 1}/d{columns[k]}",  # as the table names it; output and wrt 0-based
                    "output": i,
                    "wrt": columns[k],
                    "value": value,
                    "reference": expected,
                    "deviation": deviation[m][i][k],
                    "why": _why_peer(m, value, reference, expected, here)
                    if runs[m].peer
                    else _why(m, runs[m], i, k, here, tol, deviation[m][i][k]),
                    "peer": runs[m].peer,
                    "inconclusive": unsure,  # numeric's error bar covers the difference: not counted in `agree`
                }
            )
    peers_agree = None
    if frameworks:
        peers_agree = len(peer_runs) == len(frameworks) and not any(d["peer"] for d in disagreements)
        peers_agree = peers_agree and all(r.error is None for r in peer_runs.values())
    nfev = runs["numeric"].nfev if "numeric" in ok else None
    parsed = problem.parsed
    return Comparison(
        input=parsed.source,
        read_as=parsed.read_as(),
        at=dict(problem.point),
        wrt=columns,
        outputs=[to_text(n, parsed.labels, 200, truncate=True) for n in parsed.outputs],  # as grad's: f1 is the first
        value=list(ref.value or []),
        reference=reference,
        rtol=rtol,
        atol=atol,
        modes=runs,
        deviation=deviation,
        agree=not any(not d["peer"] for d in disagreements) and not failed and (not strict_peers or bool(peers_agree)),
        inconclusive=_inconclusive(disagreements, failed, strict_peers, peers_agree),
        disagreements=disagreements,
        kinks=kinks,
        shape=shape_sentence(len(columns), len(ref.jacobian or []), nfev),
        notes=notes + peer_notes,
        peers=list(frameworks),
        strict_peers=strict_peers,
        peers_agree=peers_agree,
    )


def peers(names: Sequence[str]) -> list[str]:
    """The frameworks of `--with torch,jax`, checked (usage_error for an unknown or repeated name)."""
    return peering.check(names)
