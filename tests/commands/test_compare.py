"""adcli.commands.compare: the modes side by side, agreement within a tolerance, and words for disagreements.

References: the survey's example (exact gradient), and cases chosen so that modes must disagree:
a kink the table knows (sign at 0), one it cannot see (abs(sin(x)) at the float nearest π), and a
program that loses digits to cancellation ((1 - cos(x))/x^2 near 0, where the exact derivative is
-x/12 + x^3/180 - …).
"""

from __future__ import annotations

import io
import math

import pytest

from adcli import api
from adcli.commands.compare import REGISTRY, available, choose, compare, peers, register, shape_sentence
from adcli.core.errors import AdcliError

SURVEY = "ln(x1) + x1*x2 - sin(x2)"


def _compare(text: str, at: str, **kw: object):  # noqa: ANN202
    return compare(api.prepare(text, at), repeat=1, **kw)  # type: ignore[arg-type]


def test_ad_modes_agree_on_the_survey_and_reverse_is_the_reference_without_symbolic() -> None:
    c = _compare(SURVEY, "x1=2,x2=5", modes=["forward", "reverse"])
    assert c.agree and c.reference == "reverse" and not c.disagreements
    assert c.modes["forward"].jacobian == [
        [pytest.approx(5.5, rel=1e-15), pytest.approx(1.7163378145367738, rel=1e-15)]
    ]
    assert c.modes["forward"].sweeps == 2 and c.modes["reverse"].sweeps == 1
    assert c.deviation["forward"] == [[pytest.approx(0, abs=1e-15), pytest.approx(0, abs=1e-15)]]
    assert c.shape.startswith("f: ℝ² → ℝ¹: forward needs 2 sweeps (one per input), reverse 1 (one per output)")


def test_registry_takes_a_new_mode_and_reports_its_disagreement() -> None:
    @register("broken")
    def _broken(problem):  # noqa: ANN001, ANN202 - a mode that is off by 1e-3
        result = api.differentiate(problem, "reverse")
        result.jacobian = [[v + 1e-3 for v in row] for row in result.jacobian]
        return result

    try:
        assert "broken" in available()
        c = _compare("x*y", "x=1,y=2", modes=["reverse", "broken"])
        assert not c.agree
        assert [(d["mode"], d["wrt"]) for d in c.disagreements] == [("broken", "x"), ("broken", "y")]
        assert "should not happen" in c.disagreements[0]["why"]
    finally:
        del REGISTRY["broken"]


@pytest.mark.parametrize(
    ("modes", "words"),
    [(["forward", "magic"], "unknown mode 'magic'"), (["forward", "forward"], "each mode once"), ([], "at least one")],
)
def test_bad_modes(modes: list[str], words: str) -> None:
    with pytest.raises(AdcliError) as info:
        choose(modes)
    assert info.value.kind == "usage_error" and words in info.value.message


def test_tolerances_must_be_non_negative_and_errors_of_every_mode_pass_through() -> None:
    with pytest.raises(AdcliError) as bad:
        _compare("x", "x=1", rtol=-1)
    assert bad.value.kind == "usage_error"
    with pytest.raises(AdcliError) as domain:
        _compare("log(x)", "x=-1", modes=["forward", "reverse"])
    assert domain.value.kind == "domain_error"


def test_peers_are_named_known_and_once() -> None:  # running them: tests/test_peers.py
    with pytest.raises(AdcliError) as info:
        peers(["tensorflow"])
    assert info.value.kind == "usage_error"
    assert peers(["torch", "jax"]) == ["torch", "jax"]
    with pytest.raises(AdcliError) as twice:
        peers(["jax", "jax"])
    assert twice.value.kind == "usage_error"


def test_compare_refuses_many_points() -> None:  # it raised numpy's "truth value of an array" before
    with pytest.raises(AdcliError) as info:
        _compare("x^2", "x=0:1:3")
    assert info.value.kind == "usage_error" and "one point" in info.value.message


def test_each_kink_names_the_entries_whose_paths_pass_through_it() -> None:
    c = _compare("sign(x)*y, relu(y)", "x=0,y=0", modes=["forward", "reverse"])
    assert {k["node"]: k["entries"] for k in c.kinks} == {"sign(x)": [[0, 0]], "relu(y)": [[1, 1]]}


def test_at_a_kink_the_entry_gets_its_own_one_sided_derivatives_not_the_nodes() -> None:
    c = _compare("max(x, 1-x)", "x=0.5", modes=["forward", "reverse"])
    (kink,) = c.kinks
    assert (kink["left"], kink["right"]) == ("0", "1")  # the max node's own partials, as in the warning
    assert kink["one_sided"] == [{"output": 0, "wrt": "x", "left": -1.0, "right": 1.0}]  # the function's slopes
    c = _compare("relu(x)*3 + x", "x=0", modes=["forward", "reverse"])
    assert c.kinks[0]["one_sided"] == [{"output": 0, "wrt": "x", "left": 1.0, "right": 4.0}]
    assert c.modes["reverse"].jacobian == [[pytest.approx(2.5, rel=1e-15)]]  # adcli's convention, between the two


def test_kink_words_give_the_entrys_sides_and_each_modes_value() -> None:
    from adcli.render.compare import plain

    out = io.StringIO()
    plain(_compare("max(x, 1-x)", "x=0.5", modes=["forward", "reverse"]), 6, out)
    text = out.getvalue()
    assert "kink: max(x, 1 - x) at x = 0.5, 1 - x = 0.5 (the node's own derivative: left 0, right 1)" in text
    assert "  df1/dx: left -1, right 1 (one-sided differences of f1 along x); gave: forward 0, reverse 0" in text


def test_outputs_are_the_expressions_and_each_disagreement_names_its_entry() -> None:
    @register("off")
    def _off(problem):  # noqa: ANN001, ANN202 - a mode that is off by 1e-3
        result = api.differentiate(problem, "reverse")
        result.jacobian = [[v + 1e-3 for v in row] for row in result.jacobian]
        return result

    try:
        c = _compare("x*y, sin(x)", "x=1,y=2", modes=["reverse", "off"])
        assert c.outputs == ["x*y", "sin(x)"]  # as grad's and jac's JSON
        assert [(d["entry"], d["output"], d["wrt"]) for d in c.disagreements][:2] == [
            ("df1/dx", 0, "x"),
            ("df1/dy", 0, "y"),
        ]
    finally:
        REGISTRY.pop("off")


def test_shape_sentence() -> None:
    assert shape_sentence(5, 2) == (
        "f: ℝ⁵ → ℝ²: forward needs 5 sweeps (one per input), reverse 2 (one per output); "
        "reverse is the cheaper AD mode here"
    )
    assert "forward is the cheaper" in shape_sentence(
        1, 3, nfev=5
    ) and "numeric 5 function evaluations" in shape_sentence(1, 3, 5)


# ---- with the numeric and symbolic modes --------------------------------------------------------


@pytest.fixture
def all_modes() -> None:
    pytest.importorskip("adcli.modes.numeric.estimate")
    pytest.importorskip("adcli.modes.symbolic.derivative")


@pytest.mark.usefixtures("all_modes")
def test_all_four_modes_agree_on_the_survey_with_symbolic_as_reference() -> None:
    c = _compare(SURVEY, "x1=2,x2=5")
    assert list(c.modes) == ["forward", "reverse", "numeric", "symbolic"]
    assert c.agree and c.reference == "symbolic"
    assert c.modes["numeric"].nfev and c.modes["numeric"].error_estimate
    assert c.modes["numeric"].jacobian[0] == pytest.approx([5.5, 1.7163378145367738], rel=1e-9)


@pytest.mark.usefixtures("all_modes")
def test_a_kink_in_the_table_is_reported_with_both_sides_and_the_modes_agree_on_its_convention() -> None:
    c = _compare("sign(x)", "x=0")  # numeric measures each side and averages them: 0, as adcli's convention
    assert c.agree
    (kink,) = c.kinks
    assert (kink["node"], kink["left"], kink["right"]) == ("sign(x)", "0", "0")
    (sides,) = kink["one_sided"]
    assert (sides["left"], sides["right"], sides["left_none"], sides["right_none"]) == (None, None, "jump", "jump")
    c = _compare("abs(x) + relu(x)", "x=0")  # sides -1 and 2: every mode gives the midpoint 0.5
    assert c.agree and c.kinks[0]["one_sided"][0] == {"output": 0, "wrt": "x", "left": -1.0, "right": 2.0}
    assert c.modes["numeric"].jacobian == [[pytest.approx(0.5, abs=1e-9)]]


def test_a_mode_that_resolves_a_kink_differently_is_explained_with_the_entrys_sides() -> None:
    @register("right-hand")
    def _right(problem):  # noqa: ANN001, ANN202 - a mode that takes the right-hand derivative at a kink
        result = api.differentiate(problem, "reverse")
        result.jacobian = [[4.0]]
        return result

    try:
        c = _compare("relu(x)*3 + x", "x=0", modes=["reverse", "right-hand"])
        assert not c.agree
        (d,) = c.disagreements
        assert d["mode"] == "right-hand" and "kink of relu(x) (df1/dx one-sided: left 1, right 4)" in d["why"]
    finally:
        REGISTRY.pop("right-hand")


@pytest.mark.usefixtures("all_modes")
def test_a_kink_adcli_cannot_see() -> None:
    c = _compare("abs(sin(x))", "x=pi")  # sin(π) is 1.2e-16 in floats: AD takes the slope -1 side
    assert c.modes["reverse"].jacobian == [[pytest.approx(-1.0, rel=1e-15)]]
    assert not c.agree and not c.kinks and not c.inconclusive and not c.disagreements[0]["inconclusive"]
    assert "not smooth near the point" in c.disagreements[0]["why"]


@pytest.mark.usefixtures("all_modes")
def test_an_ill_conditioned_program() -> None:
    x = 1e-3
    exact = -x / 12 + x**3 / 180  # d/dx (1 - cos x)/x^2 from its series
    c = _compare("(1 - cos(x))/x^2", f"x={x}")
    assert not c.agree and [d["mode"] for d in c.disagreements] == ["numeric"]
    assert c.inconclusive and c.disagreements[0]["inconclusive"]  # numeric's ± covers the difference
    numeric, reverse = c.modes["numeric"].jacobian[0][0], c.modes["reverse"].jacobian[0][0]
    assert abs(numeric - exact) < abs(reverse - exact)  # the difference quotient is the better one here
    assert math.isclose(reverse, exact, rel_tol=1e-3)
    why = c.disagreements[0]["why"]  # numeric's estimate carries the rounding of 1 - cos(x) (issue 10)
    assert "cancellation" in why or "ill-conditioned" in why


@pytest.mark.usefixtures("all_modes")
def test_atan2_on_its_cut_is_explained_as_a_kink_not_as_an_unreliable_numeric_estimate() -> None:
    """Issue 10: numeric's quotients across the 2π jump were called "unreliable"; the table now declares the cut."""
    c = _compare("atan2(y,x)", "x=-1,y=0")
    assert c.agree and not any("unreliable" in d["why"] for d in c.disagreements)
    (kink,) = c.kinks
    assert kink["node"] == "atan2(y, x)" and "branch cut" in kink["convention"]
    assert kink["entries"] == [[0, 1]]  # along y only: d/dx (atan2(0, x) = π for x < 0) is smooth
    assert c.modes["numeric"].jacobian[0][1] == pytest.approx(-1.0, rel=1e-9)


def test_compare_at_zero_to_the_zero_is_the_error_every_mode_gives() -> None:
    with pytest.raises(AdcliError) as caught:
        _compare("x^x", "x=0")
    assert caught.value.kind == "domain_error" and "0^0 = 1 holds only along b = 0" in caught.value.message
