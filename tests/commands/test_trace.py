"""adcli.commands.trace and adcli.core.notation: the survey's Tables 2 and 3, row by row, and the rules they print.

References: the survey's worked example at full precision (tests/data/baydin.jsonl, computed at
30 digits), the calculus examples' exact Jacobians, and adcli's own forward and reverse modes,
whose floating-point operations the trace replays in the same order.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from adcli import api
from adcli.commands.trace import Row, Trace, compute, resolve_cotangent, resolve_direction, times
from adcli.core.errors import AdcliError
from adcli.core.graph import as_node, var
from adcli.core.notation import can_show, name, spell, style, substitute, token
from adcli.core.primitives import ELEMENTWISE as TABLE
from adcli.core.printing import to_text
from adcli.core.tape import evaluate, linearise
from adcli.language.parser import parse

BAYDIN = "ln(x1) + x1*x2 - sin(x2)"


def _trace(text: str, at: str, **kw: object) -> Trace:
    return compute(api.prepare(text, at), **kw)  # type: ignore[arg-type]


def _neutral_name(row: Row) -> str:
    """A row's target in the examples file's spelling: v_-1, vdot_2, vbar_0, y, ydot, x1bar."""
    return re.sub(r"_m(\d)", r"_-\1", row.target).replace("{", "").replace("}", "")


def _neutral_expr(row: Row) -> str:
    """A row's forms joined, in the examples file's spelling (spaces dropped, log for ln)."""
    text = " = ".join(row.forms)
    return re.sub(r"_m(\d)", r"_-\1", text).replace("{", "").replace("}", "").replace(" ", "")


def _reference_expr(text: str) -> str:
    return text.replace("ln(", "log(").replace(" ", "")


@pytest.fixture(scope="module")
def survey() -> Trace:
    return _trace(BAYDIN, "x1=2,x2=5")


# ---- the tape numbers as the survey does -------------------------------------------------------


def test_tape_numbers_operations_level_by_level_as_in_the_survey() -> None:
    problem = api.prepare(BAYDIN, "x1=2,x2=5")
    tape = problem.tape
    ops = {tape.index(s): tape.nodes[s].op for s in range(len(tape.nodes)) if tape.index(s) is not None}
    assert ops == {-1: "var", 0: "var", 1: "log", 2: "mul", 3: "sin", 4: "add", 5: "sub"}


def test_level_order_keeps_children_before_parents_on_a_deep_chain() -> None:
    parsed = parse("x" + " + sin(x)" * 50 + " + x*x")
    tape = linearise(parsed.outputs, ["x"])
    for s in range(tape.first_op, len(tape.nodes)):
        assert all(j < s for j in tape.args[s])
    (value,) = [evaluate(tape, [np.float64(0.5)])[o] for o in tape.outputs]
    assert value == pytest.approx(0.5 + 50 * math.sin(0.5) + 0.25, rel=1e-14)


# ---- golden: every vᵢ, v̇ᵢ, v̄ᵢ of Tables 2 and 3 -------------------------------------------------


@pytest.mark.parametrize("sweep", ["primal", "tangent", "adjoint"])
def test_survey_rows_names_rules_and_values_to_full_precision(survey: Trace, baydin: dict, sweep: str) -> None:
    rows = getattr(survey, sweep)
    reference = baydin[sweep]
    assert [_neutral_name(r) for r in rows] == [ref["name"] for ref in reference]
    for row, ref in zip(rows, reference, strict=True):
        assert row.value == pytest.approx(ref["value"], rel=1e-15, abs=1e-300), ref["name"]
        assert _neutral_expr(row) == _reference_expr(ref["expr"]), ref["name"]


def test_survey_headline_figures(survey: Trace, baydin: dict) -> None:
    (out,) = survey.outputs
    assert out["value"] == pytest.approx(baydin["value"][0], rel=1e-15)
    assert out["tangent"] == pytest.approx(5.5, rel=1e-15)
    inputs = [s for s in survey.steps if s.op == "input"]
    assert [s.adjoint for s in inputs] == pytest.approx(baydin["jacobian"][0], rel=1e-15)
    assert survey.direction == {"x1": 1.0, "x2": 0.0}
    assert survey.cotangent == [1.0]


def test_survey_steps_indices_labels_ops_and_args(survey: Trace) -> None:
    steps = {s.index: s for s in survey.steps}
    assert sorted(steps) == [-1, 0, 1, 2, 3, 4, 5]
    assert (steps[-1].label, steps[-1].op, steps[-1].name) == ("v_-1", "input", "x1")
    assert (steps[2].op, steps[2].args) == ("mul", ["v_-1", "v_0"])
    assert (steps[5].op, steps[5].args) == ("sub", ["v_4", "v_3"])
    assert steps[0].adjoint == pytest.approx(1.7163378145367738, rel=1e-15)


def test_survey_rows_spelled_in_unicode_and_ascii(survey: Trace) -> None:
    def fmt(x: float) -> str:
        return f"{x:.4g}"

    def spelled(row: Row, ascii: bool) -> str:
        return spell(row.target, row.forms, row.numbers, row.value, fmt, ascii)

    tangent = {r.target: r for r in survey.tangent or []}
    assert spelled(tangent["vdot_2"], False) == "v̇₂ = v̇₋₁·v₀ + v̇₀·v₋₁ = 1·5 + 0·2 = 5"
    assert spelled(tangent["vdot_2"], True) == "vdot[2] = vdot[-1]*v[0] + vdot[0]*v[-1] = 1*5 + 0*2 = 5"
    assert spelled(tangent["vdot_1"], False) == "v̇₁ = v̇₋₁/v₋₁ = 1/2 = 0.5"
    adjoint = survey.adjoint or []
    assert spelled(adjoint[7], False) == "v̄₀ = v̄₀ + v̄₂·∂v₂/∂v₀ = v̄₀ + v̄₂·v₋₁ = -0.2837 + 1·2 = 1.716"
    assert spelled(adjoint[-2], False) == "x̄1 = v̄₋₁ = 5.5"
    assert spelled(adjoint[-2], True) == "x1bar = vbar[-1] = 5.5"
    assert spelled(survey.primal[6], True) == "v[5] = v[4] - v[3] = 10.69 - (-0.9589) = 11.65"


def test_op_counts(survey: Trace) -> None:
    # 5 operations; 8 local partials, of which 1/x and cos(x) cost one op each;
    # tangent: 1 + 3 + 1 + 3 + 3 multiply-adds; adjoint: 8 products + 2 accumulations.
    assert survey.cost == {"primal_ops": 5, "partials": 8, "partial_ops": 2, "tangent_ops": 11, "adjoint_ops": 10}


# ---- against the modes and the calculus examples --------------------------------------------------


def test_trace_values_equal_the_modes(calculus: list[dict]) -> None:
    """The trace replays the modes' floating-point operations in their order: same numbers."""
    for problem in calculus:
        prepared = api.prepare(problem["expr"], problem["at"], problem["wrt"])
        for k in range(len(prepared.wrt)):
            seed = [1.0 if i == k else 0.0 for i in range(len(prepared.wrt))]
            t = compute(prepared, "forward", seed)
            jvp = api.differentiate(prepared, direction=dict(zip(prepared.wrt, seed, strict=True))).jvp
            assert [o["tangent"] for o in t.outputs] == pytest.approx(jvp, rel=1e-15, abs=1e-300)
        for i in range(len(prepared.tape.outputs)):
            cot = [1.0 if j == i else 0.0 for j in range(len(prepared.tape.outputs))]
            t = compute(prepared, "reverse", cotangent=cot)
            vjp = api.differentiate(prepared, cotangent=cot).vjp
            got = [s.adjoint for s in t.steps if s.op == "input"][: len(prepared.wrt)]
            assert got == pytest.approx(vjp, rel=1e-15, abs=1e-300), problem["expr"]


def test_trace_jacobians_match_exact_references(calculus: list[dict]) -> None:
    for problem in calculus:
        prepared = api.prepare(problem["expr"], problem["at"], problem["wrt"])
        for i, row in enumerate(problem["jacobian"]):
            cot = [1.0 if j == i else 0.0 for j in range(len(problem["jacobian"]))]
            t = compute(prepared, "reverse", cotangent=cot)
            got = [s.adjoint for s in t.steps if s.op == "input"][: len(prepared.wrt)]
            assert got == pytest.approx(row, rel=1e-11, abs=1e-12), problem["expr"]


def test_every_printed_rule_evaluates_to_its_row_value(calculus: list[dict]) -> None:
    """The rule text is the computation: parsed back and evaluated at its numbers, it gives the row's value."""
    checked = 0
    for problem in calculus:
        t = compute(api.prepare(problem["expr"], problem["at"], problem["wrt"]), "both")
        for row in [*t.primal, *(t.tangent or []), *(t.adjoint or [])]:
            if not row.numbers:
                continue
            rule = row.forms[-1]
            value = api.value(rule, {k: v for k, v in row.numbers.items()}).value[0]
            assert value == pytest.approx(row.value, rel=1e-12, abs=1e-12), (problem["expr"], rule)
            checked += 1
    assert checked > 500


def test_rules_come_from_the_table_for_every_primitive() -> None:
    """Each function's tangent row is its table rule d/dx f(x), applied to placeholders and printed."""
    t = _trace("exp(x) + sqrt(x)", "x=0.5", mode="forward")
    forms = [r.forms[0] for r in t.tangent or []]
    assert "vdot_0*v_1" in forms  # exp: d/dx = exp(x), written as the output v₁
    assert "vdot_0/(2*v_2)" in forms  # sqrt: 1/(2*sqrt(x)), written v̇/(2·v)
    for prim in TABLE.values():
        if prim.operator or prim.arity != 1:
            continue
        rule = as_node(prim.partials[0](var("v_0"), var("v_1")))
        expected = to_text(times(var("vdot_0"), rule, simplify=True))
        for x in ("0.5", "1.5"):
            try:
                t = _trace(f"{prim.name}(x)", f"x={x}", mode="forward")
            except AdcliError:
                continue
            assert (t.tangent or [])[1].forms == [expected], prim.name
            break
        else:
            pytest.fail(f"no point in the domain of {prim.name}")


# ---- bound names, shared nodes, several outputs, constants ---------------------------------------


def test_bound_names_label_rows_and_shared_nodes_appear_once() -> None:
    t = _trace("a = x*y; b = sin(a); a + b, a*b", "x=1,y=2", cotangent=[1, 1])
    ops = [s for s in t.steps if s.op != "input"]
    assert [(s.op, s.name) for s in ops] == [("mul", "a"), ("sin", "b"), ("add", None), ("mul", None)]
    labels = {r.target: r.label for r in t.primal}
    assert labels["v_1"] == "a" and labels["v_2"] == "b"
    # a feeds three uses: its adjoint is accumulated three times, the last one is the total
    contributions = [r for r in t.adjoint or [] if r.target == "v_1" or r.target == "vbar_1"]
    assert len(contributions) == 3
    assert contributions[0].forms[0] == "vbar_4*dv_4/dv_1"
    assert contributions[1].forms[0].startswith("vbar_1 + ")
    assert [o["label"] for o in t.outputs] == ["f_1", "f_2"]  # y is taken by a variable


def test_constants_are_inline_and_constant_subexpressions_have_zero_tangent() -> None:
    t = _trace("2*3 + x^2", "x=3", mode="forward")
    primal = {r.target: r.forms[0] for r in t.primal}
    assert primal["v_1"] == "2*3" and primal["v_2"] == "v_0^2"
    tangent = {r.target: r for r in t.tangent or []}
    assert tangent["vdot_1"].forms == ["0"] and tangent["vdot_1"].value == pytest.approx(0.0, abs=0)
    assert tangent["vdot_2"].forms == ["vdot_0*(2*v_0)"]


def test_an_output_that_is_an_input_or_a_constant() -> None:
    t = _trace("x, 2", "x=3", cotangent=[1, 1])
    assert [r.forms[0] for r in t.primal[-2:]] == ["v_0", "2"]
    adjoint = t.adjoint or []
    assert [r.target for r in adjoint] == ["vbar_0", "{x}bar"]
    assert adjoint[-1].value == pytest.approx(1.0, rel=0)


def test_a_constant_outputs_tangent_is_0_not_the_constant() -> None:
    t = _trace("x*y, 3, x", "x=2,y=5", mode="forward")
    tangent = t.tangent or []
    assert [r.forms for r in tangent[-3:]] == [["vdot_1"], ["0"], ["vdot_m1"]]
    assert [r.value for r in tangent[-3:]] == pytest.approx([5.0, 0.0, 1.0], abs=0)
    assert [o["tangent"] for o in t.outputs] == pytest.approx([5.0, 0.0, 1.0], abs=0)
    row = tangent[-2]
    assert spell(row.target, row.forms, row.numbers, row.value, "{:g}".format, False) == "f\u0307\u2082 = 0"


@pytest.mark.parametrize("at", ["x=0:1:3", "x={1,2}", "x={1}"])
def test_a_span_or_list_is_refused_in_plain_words(at: str) -> None:
    for text, given in (("x^2", at), (f"x^2 at {at}", None)):  # from --at, or the text's own `at`
        with pytest.raises(AdcliError) as info:
            compute(api.prepare(text, given))
        assert info.value.kind == "usage_error"
        assert info.value.message == "trace takes one point: give x one value, not a span or list"


# ---- seeds -----------------------------------------------------------------------------------------


def test_direction_by_name_by_position_and_default() -> None:
    assert resolve_direction(["x", "y"], None) == {"x": 1.0, "y": 0.0}
    assert resolve_direction(["x", "y"], {"y": 2}) == {"x": 0.0, "y": 2.0}
    assert resolve_direction(["x", "y"], [3, 4]) == {"x": 3.0, "y": 4.0}
    t = _trace(BAYDIN, "x1=2,x2=5", mode="forward", direction={"x2": 1})
    assert t.outputs[0]["tangent"] == pytest.approx(1.7163378145367738, rel=1e-15)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"z": 1}, "z, not a variable"),
        ([1, 0, 0], "3 entries; there are 2 variables"),
        ([1], "--dir has 1 entry; there are 2 variables (x, y)"),
    ],
)
def test_bad_direction_is_a_usage_error(given: object, words: str) -> None:
    with pytest.raises(AdcliError) as info:
        resolve_direction(["x", "y"], given)  # type: ignore[arg-type]
    assert info.value.kind == "usage_error" and words in info.value.message


def test_bad_cotangent_is_a_usage_error() -> None:
    assert resolve_cotangent(2, None) == [1.0, 0.0]
    with pytest.raises(AdcliError) as info:
        resolve_cotangent(1, [1, 2])
    assert info.value.kind == "usage_error" and "2 weights" in info.value.message
    with pytest.raises(AdcliError) as named:
        resolve_cotangent(1, {"x": 1})  # type: ignore[arg-type]
    assert "not names" in named.value.message
    with pytest.raises(AdcliError) as bad:
        _trace("x", "x=1", mode="sideways")
    assert bad.value.kind == "usage_error"


def test_a_seed_for_a_sweep_that_does_not_run_is_refused() -> None:
    with pytest.raises(AdcliError) as info:
        _trace("x*y", "x=1,y=2", mode="reverse", direction=[0, 1])
    assert info.value.kind == "usage_error" and "--mode reverse does not run" in info.value.message
    with pytest.raises(AdcliError) as info:
        _trace("x*y", "x=1,y=2", mode="forward", cotangent=[1])
    assert info.value.kind == "usage_error" and "--mode forward does not run" in info.value.message


def test_domain_errors_pass_through() -> None:
    with pytest.raises(AdcliError) as info:
        _trace("log(x)", "x=-1")
    assert info.value.kind == "domain_error"


# ---- JSON round trip --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["forward", "reverse", "both"])
def test_json_round_trip(survey: Trace, mode: str) -> None:
    t = _trace("a = x*y; sin(a) + a", "x=0.3,y=-1.7", mode=mode)
    data = json.loads(json.dumps(t.to_dict()))
    again = Trace.from_dict(data)
    assert json.dumps(again.to_dict(), sort_keys=True) == json.dumps(data, sort_keys=True)
    steps = data["steps"]
    assert ("tangent" in steps[0]) == (mode != "reverse")
    assert ("adjoint" in steps[0]) == (mode != "forward")
    assert [s["index"] for s in steps] == [-1, 0, 1, 2, 3]


# ---- notation ----------------------------------------------------------------------------------------


def test_notation_tokens_and_styles() -> None:
    assert token("vdot", -12) == "vdot_m12"
    assert style("vbar_m12 + dv_3/dv_m1", ascii=False) == "v̄₋₁₂ + ∂v₃/∂v₋₁"
    assert style("vbar_m12 + dv_3/dv_m1", ascii=True) == "vbar[-12] + dv[3]/dv[-1]"
    assert style(name("α", "dot"), ascii=True) == "αdot"
    assert style(name("y", "bar", 2), ascii=False) == "y\u0304\u2082"  # y, combining macron, ₂
    assert style(name("v_1"), ascii=False) == "v_1"  # a user's name is never a placeholder


def test_substitute_wraps_negative_numbers_after_the_start() -> None:
    numbers = {"v_1": -2.0, "v_2": 3.0}
    assert substitute("v_1*v_2 - v_1", numbers, str) == "-2.0*3.0 - (-2.0)"


def test_can_show() -> None:
    assert can_show("utf-8")
    assert not can_show("ascii")
    assert not can_show("latin-1")
    assert not can_show("no-such-codec")
