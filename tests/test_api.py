"""The Python API's checks of points, columns and modes (regressions from the review)."""

from __future__ import annotations

import pytest

from adcli import api
from adcli.core.errors import AdcliError


def _kind(call, *args, **kwargs) -> AdcliError:  # noqa: ANN001
    with pytest.raises(AdcliError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_a_direction_refuses_reverse_mode_and_a_cotangent_forward_mode() -> None:
    problem = api.prepare("x*y, x+y", "x=1,y=2")
    assert _kind(api.differentiate, problem, "reverse", direction={"x": 1.0}).kind == "usage_error"
    assert _kind(api.differentiate, problem, "forward", cotangent=[1.0, 0.0]).kind == "usage_error"
    assert api.differentiate(problem, "auto", direction={"x": 1.0}).jvp == [2.0, 1.0]


@pytest.mark.parametrize("name", ["1x", "x y", "", "x-1"])
def test_wrt_must_name_variables(name: str) -> None:
    assert _kind(api.prepare, "x^2", "x=1", [name]).kind == "usage_error"


def test_a_point_name_absent_from_the_expression_is_warned_about() -> None:
    result = api.gradient("x*y", "x=1,y=2,z=3")
    assert result.gradient == [2.0, 1.0]
    assert [w.kind for w in result.warnings] == ["unused_variable"] and "z" in result.warnings[0].message


@pytest.mark.parametrize(
    ("point", "kind", "words"),
    [
        ("x=sinn(1)", "unknown_function", "did you mean sin?"),
        ("x=1/0", "usage_error", "divided by zero"),
        ("x=log(-1)", "usage_error", "outside the domain of log"),
        ("x=1,x=2", "usage_error", "two values"),
    ],
)
def test_bad_point_values(point: str, kind: str, words: str) -> None:
    err = _kind(api.prepare, "x^2", point)
    assert err.kind == kind and words in err.message
    assert err.column is not None


def test_domain_errors_speak_of_the_argument_and_keep_bound_names() -> None:
    err = _kind(api.value, "a = x*y; b = log(-a); b", x=1.0, y=0.5)
    assert err.kind == "domain_error"
    assert err.message == "log(-a) is outside the domain of log (the argument > 0): -a = -0.5"
    assert (err.line, err.column) == (1, 14)


def test_unbound_names_are_named_a_few_and_counted() -> None:
    """Issue 11: 100,000 unbound names made a 789 KB message."""
    text = " + ".join(f"v{i}" for i in range(5_000))
    with pytest.raises(AdcliError) as caught:
        api.prepare(text, {"x": 1.0})
    err = caught.value
    assert err.kind == "unbound_variable" and (err.line, err.column) == (1, 1)
    assert err.message.startswith("no value for v0, v1, v2, v3, v4, v5, v6, v7, v8, v9 and 4,990 more (5,000 names)")
    assert len(err.message) < 200


def test_a_very_long_name_is_cut_in_the_message_and_gets_no_hint() -> None:
    """The did-you-mean tried each prefix of the name (400,000 letters: 27 s)."""
    name = "sin" + "x" * 200_000
    with pytest.raises(AdcliError) as caught:
        api.prepare(name, {"x": 1.0})
    assert caught.value.kind == "unbound_variable"
    assert "did you mean" not in caught.value.message and len(caught.value.message) < 200
    with pytest.raises(AdcliError) as caught:
        api.prepare("sinx", {"x": 1.0})
    assert "sinx: did you mean sin(x)?" in caught.value.message  # a short one keeps its hint


def test_a_complex_array_is_refused_not_cast() -> None:
    """np.array(v, dtype=float) dropped the imaginary part of 1+1j with only a ComplexWarning (probing)."""
    import numpy as np

    with pytest.raises(AdcliError) as caught:
        api.gradient("sum(x)", x=np.array([1 + 1j, 2]))
    assert caught.value.kind == "usage_error" and "complex" in caught.value.message
    assert api.gradient("sum(x^2)", x=np.array([1.0, 2.0])).gradient[0].tolist() == [2.0, 4.0]


@pytest.mark.parametrize("terms", [1, 13, 14, 15, 100, 560, 600])
@pytest.mark.parametrize("outputs", [1, 2])
def test_output_texts_and_read_as_printed_once_say_what_each_print_says(terms: int, outputs: int) -> None:
    """An output's text is its first 200 characters and read-as its first 10,000 (each cut with …): printed
    once at the longer limit, the shorter is its start. Sizes around both limits, against each print alone."""
    from adcli.core.printing import to_text
    from adcli.language.parser import READ_AS_LIMIT

    one = " + ".join(f"(x{i} - {i}.5)^2" for i in range(terms))
    text = ", ".join([one, f"sin({one})"][:outputs])
    problem = api.prepare(text, ",".join(f"x{i}=1" for i in range(terms)))
    result = api.differentiate(problem, "reverse")
    parsed = problem.parsed
    assert result.outputs == [to_text(n, parsed.labels, 200, truncate=True) for n in parsed.outputs]
    assert result.read_as == parsed.read_as()
    assert len(result.read_as) <= outputs * (READ_AS_LIMIT + 1) + 2
