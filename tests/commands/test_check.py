"""adcli.commands.check: right and wrong answers, decided symbolically where possible, else at random points."""

from __future__ import annotations

import math

import pytest

from adcli.commands.check import Options, check
from adcli.core.errors import AdcliError


@pytest.fixture
def symbolic() -> None:
    pytest.importorskip("adcli.modes.symbolic.derivative")


@pytest.mark.usefixtures("symbolic")
@pytest.mark.parametrize(
    ("answer", "expr", "wrt"),
    [
        ("2*x*cos(x^2)", "sin(x^2)", None),
        ("1/x", "log(x)", None),
        ("y*cos(x*y), x*cos(x*y)", "sin(x*y)", ["x", "y"]),
        ("cos(x*y)*y", "sin(x*y)", ["x"]),
    ],
)
def test_right_answers_decided_symbolically(answer: str, expr: str, wrt: list[str] | None) -> None:
    v = check(answer, expr, wrt)
    assert (v.verdict, v.method, v.exit_code) == ("correct", "symbolic", 0)


@pytest.mark.parametrize(
    ("answer", "expr"),
    [("cos(2*x)", "sin(x)*cos(x)"), ("sign(x)", "abs(x)"), ("abs(x)/x", "abs(x)"), ("-1/(x*log(x)^2)", "1/log(x)")],
)
def test_right_answers_the_simplifier_cannot_prove_are_checked_at_points(answer: str, expr: str) -> None:
    v = check(answer, expr)
    if v.method == "symbolic":
        assert (v.verdict, v.proven, v.exit_code) == ("correct", True, 0)
    else:  # agreeing at points is evidence, not proof: said so, and a distinct exit code
        assert (v.verdict, v.proven, v.exit_code) == ("agrees", False, 4)
        assert v.points == 12 and "at 12 points with x in [" in v.reason and v.reason.endswith("; not proven")


@pytest.mark.parametrize(
    ("answer", "expr"), [("2*x*sin(x^2)", "sin(x^2)"), ("x/sqrt(1 - x^2)", "asin(x)"), ("1/x^2", "log(x)")]
)
def test_wrong_answers_with_a_counterexample(answer: str, expr: str) -> None:
    v = check(answer, expr)
    assert (v.verdict, v.method, v.exit_code) == ("wrong", "numeric", 1)
    ce = v.counterexample
    assert ce is not None and ce["wrt"] == "x"
    assert abs(ce["answer"] - ce["derivative"]) > 1e-7 * abs(ce["derivative"])


def test_the_given_point_is_checked_first_and_the_seed_makes_it_reproducible() -> None:
    v = check("3*x^2 + 1e-3", "x^3", at="x=2")
    assert v.verdict == "wrong" and v.counterexample["at"] == {"x": 2.0}  # type: ignore[index]
    a, b = check("2*x", "x^3", options=Options(seed=7)), check("2*x", "x^3", options=Options(seed=7))
    assert a.counterexample == b.counterexample


def test_no_point_in_the_domain_is_undecided() -> None:
    v = check("0", "log(x) + log(-x)")
    assert v.verdict == "undecided" and v.exit_code == 1


@pytest.mark.parametrize(
    ("answer", "expr", "wrt", "kind", "words"),
    [
        ("2*x +", "x^2", None, "syntax_error", "in the answer"),
        ("z", "x", None, "usage_error", "the answer uses z"),
        ("1", "x*y", None, "usage_error", "say which with --wrt"),
        ("1", "x*y", ["x", "y"], "usage_error", "one per variable"),
        ("1", "x, y", None, "usage_error", "one expression"),
    ],
)
def test_bad_input(answer: str, expr: str, wrt: list[str] | None, kind: str, words: str) -> None:
    with pytest.raises(AdcliError) as info:
        check(answer, expr, wrt)
    assert info.value.kind == kind and words in info.value.message


def test_answer_errors_point_into_the_answer() -> None:
    with pytest.raises(AdcliError) as info:
        check("2*x + )", "x^2 + 1 + 1 + 1")
    assert info.value.source == "2*x + )" and info.value.column == 7


@pytest.mark.parametrize(
    ("answer", "expr", "source", "column", "words"),
    [
        ("coz(x)", "sin(x)", "coz(x)", 1, "in the answer: unknown function 'coz': did you mean"),
        ("2*x + sinn(x)", "x^2", "2*x + sinn(x)", 7, "in the answer: unknown function 'sinn': did you mean sin?"),
        ("cos(x)", "sinn(x)", "sinn(x)", 1, "in --of: unknown function 'sinn': did you mean sin?"),
    ],
)
def test_unknown_functions_are_unknown_functions_with_a_caret_in_the_right_text(
    answer: str, expr: str, source: str, column: int, words: str
) -> None:
    with pytest.raises(AdcliError) as info:
        check(answer, expr, ["x"])
    assert info.value.kind == "unknown_function" and words in info.value.message
    assert (info.value.source, info.value.line, info.value.column) == (source, 1, column)


def test_a_variables_parentheses_are_still_a_product() -> None:
    assert check("1 + 2*x", "x(1 + x)").verdict == "correct"  # x(1+x) is x*(1+x), not a call


def test_domains_far_from_the_origin_are_searched() -> None:
    v = check("1/x", "log(x - 5)")  # wrong: the derivative is 1/(x - 5), and x > 5 is outside [-3, 5]
    assert v.verdict == "wrong" and v.counterexample is not None and v.counterexample["at"]["x"] > 5
    ce = v.counterexample
    assert ce["derivative"] == pytest.approx(1 / (ce["at"]["x"] - 5), rel=1e-14)
    v = check("sqrt(-x - 50)/(2*x + 100)", "sqrt(-x - 50)", options=Options(samples=5))  # = -1/(2 sqrt(-x - 50))
    assert (v.verdict, v.method, v.points) == ("agrees", "numeric", 5)


def test_the_neighbourhood_of_the_given_point_is_searched_too() -> None:
    answer, expr = "sqrt(x - 12345)/(2*x - 24690)", "sqrt(x - 12345)"  # right; the domain is beyond 1e4
    v = check(answer, expr, at="x=12346", options=Options(samples=4))
    assert (v.verdict, v.method, v.points) == ("agrees", "numeric", 4)
    v = check(answer, expr, options=Options(samples=4))
    assert v.verdict == "undecided" and "near the given point" not in v.reason


@pytest.mark.parametrize(("expr", "at"), [("sin(x)*cos(x)", "x=0:1:3"), ("sin(x)*cos(x) at x={1, 2}", None)])
def test_a_span_or_list_is_refused_in_plain_words(expr: str, at: str | None) -> None:
    with pytest.raises(AdcliError) as info:
        check("cos(2*x)", expr, at=at)
    assert info.value.kind == "usage_error"
    assert info.value.message == "check takes one point: give x one value, not a span or list"


def test_the_texts_own_point_is_checked_first() -> None:
    v = check("3*x^2 + 1e-3", "x^3 at x=2")
    assert v.verdict == "wrong" and v.counterexample["at"] == {"x": 2.0}  # type: ignore[index]


def test_the_verdict_carries_both_texts_and_its_tolerances() -> None:
    data = check("2*x", "x^2").to_dict()
    assert (data["answer"], data["of"]) == ("2*x", "x^2")
    loose = check("2*x + 1e-6", "x^2", options=Options(atol=1e-5, rtol=0))
    assert loose.verdict == "agrees" and (loose.rtol, loose.atol) == (0, 1e-5)
    assert check("2*x + 1e-6", "x^2", options=Options(atol=1e-9, rtol=0)).verdict == "wrong"
    with pytest.raises(AdcliError) as info:
        check("2*x", "x^2", options=Options(samples=0))
    assert "--samples must be 1 to 1,000" in info.value.message


def test_a_point_for_some_variables_holds_them_and_draws_the_others() -> None:
    import math

    assert check("2*x", "x^2", at="y=1").verdict == "correct"  # y is not in the expression: no error
    assert check("y*cos(x*y)", "sin(x*y)", ["x"], at="x=1").verdict == "correct"
    v = check("2*x", "x^2*y", ["x"], at="y=1")  # d/dx x^2*y = 2xy, which is 2x where y = 1
    assert (v.verdict, v.method) == ("agrees", "numeric") and "with x in [" in v.reason and "y = 1" in v.reason
    assert v.notes == ["y = 1 at every point checked; x drawn at random"]
    v = check("2*x", "x^2*y", ["x"], at="y=2")
    ce = v.counterexample
    assert v.verdict == "wrong" and ce is not None and ce["at"]["y"] == 2.0
    assert ce["derivative"] == pytest.approx(4 * ce["at"]["x"], rel=1e-14)
    v = check("y*cos(x*y) + 1e-3", "sin(x*y)", ["x"], at="x=1")
    ce = v.counterexample
    assert v.verdict == "wrong" and ce is not None and ce["at"]["x"] == 1.0
    assert ce["derivative"] == pytest.approx(ce["at"]["y"] * math.cos(ce["at"]["y"]), rel=1e-14)


def test_a_shared_point_in_a_batch_holds_only_what_each_check_uses() -> None:
    v = check("y*cos(x*y)", "sin(x*y)", ["x"], defaults=api_bindings("x=1,z=5"))
    assert v.verdict == "correct"
    v = check("2*x + 1e-3", "x^2", defaults=api_bindings("y=1,z=5"))
    assert v.verdict == "wrong" and set(v.counterexample["at"]) == {"x"}  # type: ignore[index]


def api_bindings(text: str) -> list:
    from adcli.language.parser import parse_point

    return parse_point(text)


def test_agreeing_at_points_is_not_called_correct() -> None:
    """Issue 11: 2*x + relu(x - 100000) agrees with d/dx x^2 at every point tried, and was called correct."""
    v = check("2*x + relu(x-100000)", "x^2")
    assert (v.verdict, v.method, v.proven, v.exit_code) == ("agrees", "numeric", False, 4)
    data = v.to_dict()
    assert data["verdict"] == "agrees" and data["proven"] is False
    assert "not proven" in data["reason"] and "12 points with x in [" in data["reason"]
    proof = check("2*x", "x^2")
    assert (proof.verdict, proof.method, proof.to_dict()["proven"], proof.exit_code) == ("correct", "symbolic", True, 0)


@pytest.mark.parametrize(
    "options",
    [
        Options(rtol=math.inf),
        Options(atol=math.inf),
        Options(rtol=-1e-9),
        Options(atol=math.nan),
        Options(samples=10**6),
    ],  # noqa: E501
)
def test_tolerances_must_be_finite_and_samples_bounded(options: Options) -> None:
    with pytest.raises(AdcliError) as info:
        check("2*x", "x^2", options=options)
    assert info.value.kind == "usage_error" and info.value.exit_code == 2
