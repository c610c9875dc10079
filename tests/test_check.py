"""adcli.check: right and wrong answers, decided symbolically where possible, else at random points."""

from __future__ import annotations

import pytest

from adcli.check import Options, check
from adcli.errors import AdcliError


@pytest.fixture
def symbolic() -> None:
    pytest.importorskip("adcli.modes.symbolic")


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
    assert v.verdict == "correct" and v.exit_code == 0
    if v.method == "numeric":
        assert v.points == 12 and "12 point(s)" in v.reason


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
