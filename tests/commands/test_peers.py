"""adcli.commands.peers: adcli's tape replayed in PyTorch and JAX, and `compare --with torch,jax`.

References: adcli's own reverse mode, which the frameworks must match to 1e-12 relative (both are
exact AD in float64; they differ by rounding, and by formula only where noted), on every primitive,
on the calculus corpus and on random expressions. At kinks the frameworks keep their own
conventions (abs'(0): PyTorch 0, JAX 1; relu'(0): both 0; max at a tie: 1/2 each), which compare
reports. Each framework's tests skip when it is not installed (CI installs neither).
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from conftest import load_jsonl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import expressions, points

from adcli import api
from adcli.commands import peers
from adcli.commands.compare import compare
from adcli.core.errors import AdcliError
from adcli.core.graph import Node, const, make, topo_order, var, variables
from adcli.core.primitives import ELEMENTWISE as TABLE
from adcli.core.tape import evaluate, linearise, local_partials
from adcli.modes import forward, reverse

RTOL = 1e-12
CALCULUS = load_jsonl("calculus.jsonl")


@pytest.fixture(scope="module", params=peers.PEERS)
def framework(request: pytest.FixtureRequest) -> tuple[str, Any]:
    """(name, module) of each installed framework; the others skip."""
    name = request.param
    pytest.importorskip(name)
    return name, peers.load(name)


def _reverse(problem: api.Problem) -> list[list[float]]:
    return api.differentiate(problem, "reverse").jacobian


def _close(got: list[list[float]], want: list[list[float]], atol: float = 0.0) -> bool:
    return len(got) == len(want) and all(
        len(g) == len(w) and all(math.isclose(a, b, rel_tol=RTOL, abs_tol=atol) for a, b in zip(g, w, strict=True))
        for g, w in zip(got, want, strict=True)
    )


# ---- the translation table -------------------------------------------------------------------------


def test_every_primitive_has_a_translation_and_nothing_else_does() -> None:
    assert set(peers.TABLE) == set(TABLE)


def test_importing_adcli_peers_imports_no_framework() -> None:
    code = (
        "import sys, adcli.commands.peers, adcli.commands.compare; "
        "print(sorted(m for m in ('torch', 'jax') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


#: a point inside each primitive's domain, away from its kinks; two-argument rows use (x, y).
POINT = {"x": 0.7, "y": -0.4}
SPECIAL = {"acosh": {"x": 1.7}, "pow": {"x": 0.7, "y": -2.5}}
#: points where a careless translation goes wrong: torch has no cbrt (and pow(x, 1/3) is nan for x < 0),
#: torch's softplus returns x above x = 20, atan2's argument order, hypot and atan2 off the first quadrant.
HARD = [
    ("cbrt", {"x": -8.0}),
    ("cbrt", {"x": 3e-5}),
    ("softplus", {"x": 30.0}),
    ("softplus", {"x": -30.0}),
    ("softplus", {"x": 800.0}),
    ("sigmoid", {"x": -30.0}),
    ("atan2", {"x": -3.0, "y": 0.5}),
    ("atan2", {"x": 0.25, "y": -3.0}),
    ("hypot", {"x": -3.0, "y": 4.0}),
    ("pow", {"x": -2.0, "y": 3.0}),  # a negative base to an integer: only the base is differentiated below
    ("log10", {"x": 1234.5}),
    ("log2", {"x": 1e-3}),
    ("min", {"x": 2.0, "y": -1.0}),
    ("max", {"x": 2.0, "y": -1.0}),
    ("sign", {"x": -0.3}),
    ("relu", {"x": -0.3}),
    ("sec", {"x": 2.5}),
    ("csc", {"x": -0.3}),
    ("cot", {"x": 3.0}),
]


OPERATORS = {"add": "x + y", "sub": "x - y", "mul": "x*y", "div": "x/y", "neg": "-x", "pow": "x^y"}


def _one(name: str, at: dict[str, float]) -> api.Problem:
    """The primitive applied to x (and y), as the parser reads it."""
    text = OPERATORS.get(name) or f"{name}({', '.join('xy'[: TABLE[name].arity])})"
    wrt = ["x"] if name == "pow" and at["x"] < 0 else None  # d/dy of (-2)^y is not real
    return api.prepare(text, at, wrt)


@pytest.mark.parametrize(
    ("name", "at"),
    [(n, SPECIAL.get(n, {k: v for k, v in POINT.items() if k in "xy"[: TABLE[n].arity]})) for n in sorted(TABLE)]
    + HARD,
)
def test_every_primitive_translates_to_the_same_value_and_derivative(
    framework: tuple[str, Any], name: str, at: dict[str, float]
) -> None:
    problem = _one(name, at)
    assert [p.name for p in problem.tape.prims if p is not None] == [name]
    answer = peers.jacobian(*framework, problem.tape, problem.point, problem.wrt)
    want = api.differentiate(problem, "reverse")
    assert math.isclose(answer.value[0], want.value[0], rel_tol=RTOL), (answer.value, want.value)
    assert _close(answer.jacobian, want.jacobian, atol=1e-300), (answer.jacobian, want.jacobian)


def test_float64_in_both_and_jax_x64_is_switched_on_only_for_the_replay(framework: tuple[str, Any]) -> None:
    name, module = framework
    before = module.config.jax_enable_x64 if name == "jax" else None
    problem = api.prepare("1 + x", "x=1e-10")
    answer = peers.jacobian(name, module, problem.tape, problem.point, problem.wrt)
    assert answer.value == [1.0000000001]  # float32 would round it to 1
    if name == "jax":  # the user's own JAX setting is left as it was
        assert module.config.jax_enable_x64 == before


# ---- the calculus corpus and random expressions -------------------------------------------------------


@pytest.mark.parametrize("problem", CALCULUS, ids=[p["id"] for p in CALCULUS])
def test_the_calculus_corpus(framework: tuple[str, Any], problem: dict) -> None:
    prepared = api.prepare(problem["expr"], problem["at"], problem["wrt"])
    answer = peers.jacobian(*framework, prepared.tape, prepared.point, prepared.wrt)
    want = _reverse(prepared)
    # exact zeros (sin² + cos², x*x - x^2) are met to the rounding of the O(1) terms that cancel
    assert _close(answer.jacobian, want, atol=1e-14), (answer.jacobian, want)
    assert answer.value == pytest.approx(problem["value"], rel=1e-13)


def _tails(tape: Any, vals: list[Any]) -> bool:
    """True where a framework's own formula loses digits: 1 - tanh² and σ(1 - σ) near 1 (adcli's table does not)."""
    return any(
        (prim.name == "tanh" and 1 - abs(vals[s]) < 1e-2) or (prim.name == "sigmoid" and 1 - vals[s] < 1e-2)
        for s, prim in enumerate(tape.prims)
        if prim is not None
    )


def _scales(tape: Any, partials: list[Any], n: int) -> list[list[float]]:
    """Σ over chain-rule paths of |terms|, per entry: the size rounding is relative to where terms cancel."""
    magnitudes = [None if p is None else tuple(None if q is None else abs(q) for q in p) for p in partials]
    columns = []
    for k in range(n):
        tangents = forward.tangent_sweep(tape, magnitudes, [1.0 if i == k else None for i in range(n)])
        columns.append([0.0 if tangents[o] is None else float(tangents[o]) for o in tape.outputs])
    return [[columns[k][i] for k in range(n)] for i in range(len(tape.outputs))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(outputs=st.lists(expressions, min_size=1, max_size=3), point=points)
def test_random_expressions(framework: tuple[str, Any], outputs: list[Node], point: dict[str, float]) -> None:
    if framework[0] == "jax":  # XLA on CPU flushes subnormals to 0: points near them are not comparable
        assume(all(v == 0 or abs(v) > 1e-290 for v in point.values()))
    # a framework's backward formula may multiply two such values before dividing (PyTorch's hypot: g·y/r
    # gives 0 for hypot(0, 3.8e-219)^2, where the derivative is 7.6e-219): the product underflows
    assume(all(v == 0 or abs(v) > 1e-150 for v in point.values()))
    names = variables(outputs)
    tape = linearise(outputs, names)
    active, warnings = tape.active(names), []
    try:
        vals = evaluate(tape, [np.float64(point[n]) for n in names], active, warnings)
        partials = local_partials(tape, vals, active)
    except AdcliError:
        assume(False)  # a pole or an overflow in a random composition: draw again
    assume(not warnings and not _tails(tape, vals))  # kinks: the conventions differ (tested below)
    n = len(names)
    try:  # the sweeps raise on overflow themselves (their own errstate): draw again
        want = reverse.jacobian(tape, vals, partials, n)
        with np.errstate(all="ignore"):
            scales = _scales(tape, partials, n)
    except FloatingPointError:
        assume(False)
    assume(all(math.isfinite(s) for row in scales for s in row))
    answer = peers.jacobian(*framework, tape, {k: float(v) for k, v in point.items()}, names)
    for i in range(len(outputs)):
        for k in range(n):
            got, expected = answer.jacobian[i][k], float(want[i][k])
            assert _agrees(got, expected, scales[i][k]), (i, k, got, expected, scales[i][k])


def _agrees(peer: float, adcli: float, scale: float) -> bool:
    """adcli's entry within RTOL of the chain rule's scale of the peer's, wherever the peer's is finite.

    A peer that overflows where adcli does not (JAX's Jacobian of a random composition at x = 1.1e-159 is
    inf where adcli gives 9e158: an intermediate of its own formula overflows) is not adcli's error; an
    adcli entry that is not finite, or off, where the peer's is finite still fails.
    + 1e-300: XLA on CPU flushes subnormal numbers (below 2.2e-308) to zero, numpy and torch keep them."""
    if not math.isfinite(peer):
        return True
    return math.isfinite(adcli) and abs(peer - adcli) <= RTOL * scale + 1e-300


def test_only_a_peer_overflow_is_excused() -> None:
    assert _agrees(math.inf, 9e158, 9e158)  # the peer overflowed: nothing to compare
    assert _agrees(-math.inf, 1.0, 1.0) and _agrees(math.nan, 1.0, 1.0)
    assert _agrees(9e158, 9e158 * (1 + 1e-15), 9e158)
    assert not _agrees(9e158, 8e158, 9e158)  # adcli off: fails
    assert not _agrees(9e158, math.inf, 9e158)  # adcli overflowed where the peer did not: fails
    assert not _agrees(1.0, math.nan, 1.0)


def test_timing_repeats_within_a_budget(framework: tuple[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    problem = api.prepare("sin(x)*y", "x=1,y=2")
    answer, seconds, first = peers.timed(*framework, problem.tape, problem.point, problem.wrt, repeat=3)
    assert seconds > 0 and first > 0 and answer.jacobian[0][1] == pytest.approx(math.sin(1.0), rel=1e-15)
    calls = []
    monkeypatch.setattr(peers, "BUDGET", 0.0)
    monkeypatch.setattr(peers, "jacobian", lambda *a: calls.append(a) or answer)
    peers.timed(*framework, problem.tape, problem.point, problem.wrt, repeat=3)
    assert len(calls) == 2  # a warm-up, then over budget after one timed run: a slow framework is timed once


def test_only_the_known_frameworks_are_ever_imported() -> None:
    with pytest.raises(AdcliError) as info:
        peers.load("os")
    assert info.value.kind == "usage_error"


def test_a_deep_program_is_replayed_by_a_loop(framework: tuple[str, Any]) -> None:
    node = var("x")
    depth = 3000 if framework[0] == "jax" else 20000
    for _ in range(depth):
        node = make("add", (make("mul", (const(0.5), node)), const(0.25)))
    assert len(topo_order([node])) > depth
    tape = linearise([node], ["x"])
    answer = peers.jacobian(*framework, tape, {"x": 1.0}, ["x"])
    assert answer.jacobian[0][0] == 0.0 or answer.jacobian[0][0] == pytest.approx(0.5**depth, rel=1e-12)
    assert answer.value == [pytest.approx(0.5, rel=1e-12)]  # x ↦ x/2 + 1/4 converges to 1/2


# ---- compare --with: kinks, the exit code, missing frameworks ------------------------------------------


def _compare(text: str, at: str, **kw: Any) -> Any:
    return compare(api.prepare(text, at), repeat=1, **kw)


@pytest.mark.parametrize(
    ("text", "at", "want"),
    [
        ("abs(x)", "x=0", {"torch": 0.0, "jax": 1.0}),  # adcli: 0
        ("relu(x)", "x=0", {"torch": 0.0, "jax": 0.0}),  # adcli: 1/2
        ("max(x, y)", "x=1,y=1", {"torch": 0.5, "jax": 0.5}),  # adcli: 1/2 each, too
        ("sign(x)", "x=0", {"torch": 0.0, "jax": 0.0}),  # adcli: 0
    ],
)
def test_at_a_kink_each_framework_keeps_its_own_convention(
    framework: tuple[str, Any], text: str, at: str, want: dict[str, float]
) -> None:
    name = framework[0]
    c = _compare(text, at, modes=["forward", "reverse"], frameworks=[name])
    got = c.modes[name].jacobian[0][0]
    assert got == want[name]
    assert c.agree and c.kinks  # only adcli's modes decide, and they agree with each other
    mine = [d for d in c.disagreements if d["mode"] == name]
    adcli_value = c.modes["reverse"].jacobian[0][0]
    if got == adcli_value:
        assert not mine and c.peers_agree
        return
    (d,) = mine
    assert d["peer"] and not c.peers_agree
    assert f"{name} gives {got:g}, its own convention at the kink of {text.split(',')[0]}" in d["why"]
    assert f"adcli's reverse gives {adcli_value:g}" in d["why"]
    strict = _compare(text, at, modes=["forward", "reverse"], frameworks=[name], strict_peers=True)
    assert not strict.agree


def test_agreeing_peers_and_the_json_schema(framework: tuple[str, Any]) -> None:
    name = framework[0]
    c = _compare("ln(x1) + x1*x2 - sin(x2)", "x1=2,x2=5", modes=["forward", "reverse"], frameworks=[name])
    assert c.agree and c.peers_agree and c.peers == [name] and not c.notes
    data = json.loads(json.dumps(c.to_dict()))
    run = data["modes"][name]
    assert run["jacobian"] == [[pytest.approx(5.5, rel=1e-15), pytest.approx(1.7163378145367738, rel=1e-15)]]
    assert run["peer"] is True and run["version"] == framework[1].__version__ and run["seconds"] > 0
    assert data["deviation"][name][0][0] == pytest.approx(0, abs=1e-15)


def test_a_missing_framework_is_a_note_and_the_rest_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in peers.PEERS:
        monkeypatch.setitem(sys.modules, name, None)  # `import torch` now fails as if it were absent
    c = _compare("x*y", "x=1,y=2", modes=["forward", "reverse"], frameworks=["torch", "jax"])
    assert c.agree and c.peers_agree is False and set(c.modes) == {"forward", "reverse"}
    assert c.notes == [
        "torch is not installed: pip install 'adcli[torch]'",
        "jax is not installed: pip install 'adcli[jax]'",
    ]
    strict = _compare("x*y", "x=1,y=2", modes=["forward", "reverse"], frameworks=["torch"], strict_peers=True)
    assert not strict.agree


@pytest.mark.parametrize("names", [["tensorflow"], ["torch", "torch"], ["torch", "mxnet"]])
def test_unknown_or_repeated_framework_is_a_usage_error(names: list[str]) -> None:
    with pytest.raises(AdcliError) as info:
        _compare("x", "x=1", frameworks=names)
    assert info.value.kind == "usage_error"


# ---- the command line ---------------------------------------------------------------------------------


def _adcli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from adcli.cli.app import main

    monkeypatch.setattr(sys, "argv", ["adcli", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code: Any = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return int(code), out, err


def test_cli_unknown_framework_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _adcli(monkeypatch, capsys, "compare", "x", "--at", "x=1", "--with", "torch,tensorflow")
    assert code == 2 and "adcli knows torch, jax" in err


def test_cli_missing_framework(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    args = ("compare", "x^2", "--at", "x=3", "--modes", "forward,reverse", "--with", "torch")
    code, out, _ = _adcli(monkeypatch, capsys, *args)
    assert code == 0 and "note: torch is not installed: pip install 'adcli[torch]'" in out
    code, out, _ = _adcli(monkeypatch, capsys, *args, "--strict-peers")
    assert code == 1 and "a peer did not run" in out


def test_cli_kink_columns_and_exit_codes(
    framework: tuple[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = framework[0]
    args = ("compare", "relu(x)", "--at", "x=0", "--modes", "forward,reverse", "--with", name)
    code, out, _ = _adcli(monkeypatch, capsys, *args)
    assert code == 0 and f"Δ {name}" in out and "<- peer differs" in out
    assert f"{name} gives 0, its own convention at the kink of relu(x)" in out
    assert f"{name} differs at 1 entry (peers do not decide the exit code" in out
    code, out, _ = _adcli(monkeypatch, capsys, *args, "--strict-peers")
    assert code == 1 and "<- disagrees" in out and "DISAGREE: 1 entry" in out
    code, out, _ = _adcli(monkeypatch, capsys, *args, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["modes"][name]["jacobian"] == [[0.0]] and data["peers_agree"] is False


def test_compare_order_2_puts_the_frameworks_hessian_and_time_beside_adcli(framework: tuple[str, Any]) -> None:
    """`compare --order 2 --with torch` (or jax): the framework's Hessian of x³y + exp(y) at (1, 2) is the
    closed form [[6xy, 3x²], [3x², e^y]], timed after its first call (which pays for tracing)."""
    from adcli.commands.crosscheck import compare as compare_hessians

    name, _ = framework
    found = compare_hessians(api.prepare("x^3*y + exp(y)", "x=1,y=2"), frameworks=[name], repeat=3)
    run = found.modes[name]
    assert run.error is None and run.peer
    want = [[12.0, 3.0], [3.0, math.exp(2.0)]]
    assert _close(run.jacobian, want)
    assert run.seconds > 0 and run.cost["first_call_us"] > 0
    assert found.peers_agree is True
