"""The tape (Wengert list): Baydin's numbering, shared slots, the primal sweep, and deep programs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adcli.core.errors import AdcliError
from adcli.core.graph import make, var, variables
from adcli.core.tape import MAX_KINK_WARNINGS, constant_value, evaluate, linearise, local_partials
from adcli.language.parser import parse
from adcli.modes import forward, reverse

BAYDIN = "ln(x1) + x1*x2 - sin(x2)"


def tape_of(text: str, names: list[str] | None = None):  # noqa: ANN201
    parsed = parse(text)
    return linearise(parsed.outputs, names or variables(parsed.outputs), parsed.labels, parsed.positions, text)


def ops(tape) -> list[tuple[int, str, tuple]]:  # noqa: ANN001
    """(v-index, operation, v-indices of the arguments; None for a constant) for every operation slot."""
    return [
        (tape.index(s), tape.nodes[s].op, tuple(tape.index(j) for j in tape.args[s]))
        for s in range(tape.first_op, len(tape.nodes))
    ]


# ---- Baydin's notation -----------------------------------------------------------------------------


def test_baydin_numbering() -> None:
    """Table 2 of the survey: v₋₁ = x1, v₀ = x2, v₁ = ln v₋₁, v₂ = v₋₁×v₀, v₃ = sin v₀, v₄ = v₁+v₂, v₅ = v₄−v₃."""
    tape = tape_of(BAYDIN, ["x1", "x2"])
    assert [tape.index(s) for s in range(tape.n_inputs)] == [-1, 0]
    assert ops(tape) == [
        (1, "log", (-1,)),
        (2, "mul", (-1, 0)),
        (3, "sin", (0,)),
        (4, "add", (1, 2)),
        (5, "sub", (4, 3)),
    ]
    assert [tape.index(o) for o in tape.outputs] == [5]


def test_baydin_traces(baydin: dict) -> None:
    """The primal, tangent and adjoint traces of the survey, value by value, from the shared sweeps."""
    tape = tape_of(baydin["expr"], baydin["wrt"])
    slot = {tape.index(s): s for s in range(len(tape.nodes)) if tape.index(s) is not None}
    active = tape.active(tape.names)
    vals = evaluate(tape, [np.float64(baydin["at"][n]) for n in tape.names], active)
    for row in baydin["primal"]:
        if row["name"].startswith("v_"):
            assert math.isclose(vals[slot[int(row["name"][2:])]], row["value"], rel_tol=1e-15), row
    partials = local_partials(tape, vals, active)
    seed = [np.float64(baydin["tangent_direction"][n]) for n in tape.names]
    tangents = forward.tangent_sweep(tape, partials, seed)
    for row in baydin["tangent"]:
        if row["name"].startswith("vdot_"):
            assert math.isclose(tangents[slot[int(row["name"][5:])]], row["value"], rel_tol=1e-15), row
    adjoints = reverse.adjoint_sweep(tape, partials, [np.float64(1.0)])
    final = {}
    for row in baydin["adjoint"]:  # a name may be updated several times: the last entry is the total
        if row["name"].startswith("vbar_"):
            final[int(row["name"][5:])] = row["value"]
    for index, want in final.items():
        assert math.isclose(adjoints[slot[index]], want, rel_tol=1e-15), index


def test_constants_have_no_v_number() -> None:
    tape = tape_of("2*x + 3")
    constants = list(range(tape.n_inputs, tape.first_op))
    assert len(constants) == 2 and all(tape.index(s) is None for s in constants)
    assert ops(tape) == [(1, "mul", (None, 0)), (2, "add", (1, None))]


def test_inputs_follow_the_given_order() -> None:
    tape = tape_of("x*y + z", ["z", "x", "y"])
    assert tape.names == ["z", "x", "y"]
    assert [tape.nodes[s].payload for s in range(3)] == ["z", "x", "y"]
    assert [tape.index(s) for s in range(3)] == [-2, -1, 0]


def test_an_input_not_in_the_expression_still_has_a_slot() -> None:
    tape = tape_of("x^2", ["x", "w"])
    assert tape.names == ["x", "w"] and tape.n_inputs == 2
    assert ops(tape) == [(1, "pow", (-1, None))]


def test_an_unbound_variable_is_refused() -> None:
    with pytest.raises(AdcliError) as caught:
        tape_of("x*y", ["x"])
    assert caught.value.kind == "unbound_variable" and "y" in caught.value.message


# ---- sharing ----------------------------------------------------------------------------------------


def test_a_repeated_subexpression_is_one_slot() -> None:
    tape = tape_of("sin(x)*sin(x)")
    assert ops(tape) == [(1, "sin", (0,)), (2, "mul", (1, 1))]
    vals = evaluate(tape, [np.float64(0.5)])
    assert math.isclose(vals[tape.outputs[0]], math.sin(0.5) ** 2, rel_tol=1e-15)
    # both factors feed the one slot: d/dx sin(x)² = 2 sin(x) cos(x)
    partials = local_partials(tape, vals, tape.active(["x"]))
    (row,) = reverse.jacobian(tape, vals, partials, 1)
    assert math.isclose(row[0], 2 * math.sin(0.5) * math.cos(0.5), rel_tol=1e-15)


def test_outputs_share_slots() -> None:
    tape = tape_of("sin(x)*y, sin(x) + y, y")
    assert sum(1 for s in range(tape.first_op, len(tape.nodes)) if tape.nodes[s].op == "sin") == 1
    assert tape.outputs[2] == 1  # the third output is the input y itself
    assert len(tape.outputs) == 3


def test_bound_names_share_and_label() -> None:
    tape = tape_of("a = x*y; sin(a) + a")
    assert ops(tape) == [(1, "mul", (-1, 0)), (2, "sin", (1,)), (3, "add", (2, 1))]
    assert tape.labels[tape.nodes[tape.first_op]] == "a"


# ---- active slots and the primal sweep --------------------------------------------------------------


def test_active_slots_depend_on_wrt() -> None:
    tape = tape_of("x*y + sin(z)", ["x", "y", "z"])
    active = tape.active(["x"])
    by_op = {tape.nodes[s].op: active[s] for s in range(tape.first_op, len(tape.nodes))}
    assert by_op == {"mul": True, "sin": False, "add": True}
    assert active[: tape.n_inputs] == [True, False, False]
    partials = local_partials(tape, evaluate(tape, [np.float64(v) for v in (1.0, 2.0, 3.0)]), active)
    sin_slot = next(s for s in range(tape.first_op, len(tape.nodes)) if tape.nodes[s].op == "sin")
    assert partials[sin_slot] is None  # no rule is evaluated off the differentiated path


class _NoMembership(list):
    """A wrt list that refuses `name in wrt`: one scan per input made `active` O(n²) in the inputs."""

    def __contains__(self, item: object) -> bool:
        raise AssertionError("active() must not scan the wrt list once per input")


def test_active_is_linear_in_the_number_of_inputs() -> None:
    names = [f"x{i}" for i in range(1, 201)]
    tape = tape_of(" + ".join(f"sin({n})" for n in names), names)
    active = tape.active(_NoMembership(names[::2]))
    assert active[: tape.n_inputs] == [i % 2 == 0 for i in range(200)]
    assert sum(active[tape.first_op :]) == 100 + 199  # the sines of x1, x3, … and every sum above them


def test_evaluate_many_points_at_once() -> None:
    tape = tape_of("x*sin(y)")
    xs, ys = np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.2, 0.3])
    vals = evaluate(tape, [xs, ys])
    np.testing.assert_allclose(vals[tape.outputs[0]], xs * np.sin(ys), rtol=1e-15)


def test_domain_error_at_many_points_names_the_first_bad_one() -> None:
    tape = tape_of("log(x)")
    with pytest.raises(AdcliError) as caught:
        evaluate(tape, [np.array([1.0, -2.0, -3.0])])
    assert caught.value.kind == "domain_error" and "x = -2" in caught.value.message


def test_errors_point_at_the_node() -> None:
    tape = tape_of("x + sqrt(y)")
    with pytest.raises(AdcliError) as caught:
        evaluate(tape, [np.float64(1.0), np.float64(-1.0)])
    assert (caught.value.line, caught.value.column) == (1, 5)
    assert caught.value.caret() == "x + sqrt(y)\n    ^"


@pytest.mark.parametrize(
    ("text", "want"), [("pi/4", math.pi / 4), ("-1e-3", -1e-3), ("2^10", 1024.0), ("sqrt(2)", math.sqrt(2))]
)
def test_constant_value(text: str, want: float) -> None:
    (node,) = parse(text).outputs
    assert constant_value(node) == want


def test_constant_value_refuses_variables() -> None:
    (node,) = parse("x + 1").outputs
    with pytest.raises(AdcliError) as caught:
        constant_value(node)
    assert caught.value.kind == "usage_error"


# ---- deep programs ---------------------------------------------------------------------------------


def test_a_100000_step_program() -> None:
    """Linearised, evaluated and swept both ways with no recursion: sin applied 100,000 times."""
    depth = 100_000
    x = var("x")
    node = x
    for _ in range(depth):
        node = make("sin", (node,))
    tape = linearise([node], ["x"])
    assert len(tape.nodes) == depth + 1 and tape.index(len(tape.nodes) - 1) == depth
    active = tape.active(["x"])
    vals = evaluate(tape, [np.float64(0.5)], active)
    partials = local_partials(tape, vals, active)
    (ahead,) = forward.jacobian(tape, vals, partials, 1)
    (back,) = reverse.jacobian(tape, vals, partials, 1)
    # closed form by the chain rule: Π cos(v_{k-1})
    v, d = 0.5, 1.0
    for _ in range(depth):
        d *= math.cos(v)
        v = math.sin(v)
    assert math.isclose(vals[tape.outputs[0]], v, rel_tol=1e-12)
    assert math.isclose(ahead[0], d, rel_tol=1e-10) and math.isclose(back[0], d, rel_tol=1e-10)
    assert math.isclose(ahead[0], back[0], rel_tol=1e-13)


def test_kinks_past_the_first_twenty_are_counted_in_one_warning() -> None:
    """Issue 11: 100,000 nested max(x, …) at a tie wrote 100,000 warnings (21 MB); each named one cost
    its whole subtree to measure (quadratic)."""
    text = "abs(" * 30 + "x" + ")" * 30
    parsed = parse(text)
    tape = linearise(parsed.outputs, ["x"])
    warnings: list = []
    evaluate(tape, [0.0], warnings=warnings)
    assert len(warnings) == MAX_KINK_WARNINGS + 1
    assert all(w.kind == "nondifferentiable" for w in warnings)
    assert warnings[0].message.startswith("abs(x) is not differentiable at x = 0")
    assert warnings[-1].details == {"more": 10} and "10 more operations are at a kink" in warnings[-1].message


def test_kinks_counted_at_many_points_mark_their_points() -> None:
    text = "abs(" * 25 + "x" + ")" * 25
    tape = linearise(parse(text).outputs, ["x"])
    warnings: list = []
    evaluate(tape, [np.array([0.0, 1.0, 0.0])], warnings=warnings)
    assert warnings[-1].details == {"more": 5}
    assert warnings[-1].where.tolist() == [True, False, True]


def test_a_message_names_a_node_by_its_text_whole_or_cut() -> None:
    """A node's text in a message is whole when it fits, else cut with … (its size measured in O(limit))."""
    node = parse("sin(x*y) + " + " + ".join(["x"] * 40)).outputs[0]
    tape = linearise([node], ["x", "y"])
    texts = {tape.text(s) for s in range(tape.first_op, len(tape.nodes))}
    assert "sin(x*y)" in texts and "x*y" in texts and any(t.endswith("…") and len(t) <= 61 for t in texts)
    parsed = parse("a = x*y; sin(a) + a")
    tape = linearise(parsed.outputs, ["x", "y"], labels=parsed.labels)
    assert tape.text(tape.outputs[0]) == "sin(a) + a"
    assert tape.text(tape.nodes.index(parsed.assignments[0][1])) == "x*y"  # a node is not its own label


def test_constant_partials_are_found_from_the_rules_and_shared() -> None:
    """add, sub and neg have number partials: their slots share one tuple (memory for long sums)."""
    from adcli.core.primitives import TABLE
    from adcli.core.tape import constant_partials

    found = {name: constant_partials(p) for name, p in TABLE.items() if constant_partials(p) is not None}
    assert found == {"add": (1, 1), "sub": (1, -1), "neg": (-1,)}
    tape = linearise(parse("x + y + x*y - (-x)").outputs, ["x", "y"])
    vals = evaluate(tape, [2.0, 3.0])
    partials = local_partials(tape, vals, tape.active(["x", "y"]))
    adds = [partials[s] for s in range(tape.first_op, len(vals)) if tape.prims[s].name == "add"]  # type: ignore[union-attr]
    assert adds == [(1, 1), (1, 1)] and adds[0] is adds[1]
    only_x = local_partials(tape, vals, tape.active(["x"]))  # y inactive: its edges have no partial
    first = next(s for s in range(tape.first_op, len(vals)) if tape.prims[s].name == "add")  # type: ignore[union-attr]
    assert only_x[first] == (1, None)


def test_a_text_far_over_the_operation_limit_is_refused_before_parsing() -> None:
    """Issue 11: diff, trace and compare of a 1 MB sum parsed for seconds before refusing; the text says enough."""
    from adcli.core.errors import AdcliError
    from adcli.core.tape import EARLY_FACTOR, MAX_DETAILED, require_detailed_text

    over = EARLY_FACTOR * MAX_DETAILED + 1
    with pytest.raises(AdcliError) as caught:
        require_detailed_text("+".join(["x"] * (over + 1)), "diff")
    assert caught.value.kind == "limit_exceeded" and f"{over:,} operators" in caught.value.message
    # exponent signs, comments and plain digits are not operators: 1e-5 repeated is a sum of few operators
    numbers = "+".join(["1e-5"] * (over // 2))
    require_detailed_text(numbers, "diff")
    commented = "x # " + "-" * (2 * over)
    require_detailed_text(commented, "diff")
