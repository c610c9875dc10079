"""The API's memory of recent problems (adcli.reuse): a repeated text with a point of the same names and
shapes reuses the parse and the tape, and every call still answers for its own values; anything else
about the call (other shapes, names, wrt, a point the text gives) is a problem of its own."""

from __future__ import annotations

import numpy as np
import pytest

import adcli
from adcli import reuse
from adcli.core.errors import AdcliError


@pytest.fixture(autouse=True)
def _fresh() -> None:
    reuse.forget()


def test_a_repeated_text_answers_for_each_calls_values() -> None:
    for seed in range(3):
        A = np.random.default_rng(seed).standard_normal((3, 2))  # noqa: N806
        x, b = np.arange(2.0) + seed, np.ones(3)
        r = adcli.gradient("sum((A @ x - b)^2)", A=A, x=x, b=b, wrt=["x"])
        np.testing.assert_allclose(r.gradient[0], 2 * A.T @ (A @ x - b), rtol=1e-13)
    assert len(reuse._recent) == 1


def test_other_shapes_names_or_wrt_are_other_problems() -> None:
    assert adcli.gradient("sum(x*x)", x=np.array([1.0, 2.0])).gradient[0].tolist() == [2.0, 4.0]
    assert adcli.gradient("sum(x*x)", x=np.array([1.0, 2.0, 3.0])).gradient[0].tolist() == [2.0, 4.0, 6.0]
    assert adcli.gradient("sum(x*x)", x=3.0).gradient == [6.0]
    r = adcli.gradient("sum(x*y)", x=np.array([1.0, 2.0]), y=np.array([5.0, 7.0]), wrt=["y"])
    assert r.wrt == ["y"] and r.gradient[0].tolist() == [1.0, 2.0]
    r = adcli.gradient("sum(x*y)", x=np.array([1.0, 2.0]), y=np.array([5.0, 7.0]), wrt=["x"])
    assert r.wrt == ["x"] and r.gradient[0].tolist() == [5.0, 7.0]
    assert len(reuse._recent) == 5


def test_notes_and_warnings_follow_the_problem() -> None:
    arrays = adcli.value("x*y", x=np.ones(2), y=np.ones(2))
    scalars = adcli.value("x*y", x=1.0, y=2.0)
    assert any("elementwise" in n for n in arrays.notes) and not any("elementwise" in n for n in scalars.notes)
    for _ in range(2):  # the warning of an unused value, on the remembered call as on the first
        r = adcli.gradient("x^2", x=1.0, z=2.0)
        assert [w.kind for w in r.warnings] == ["unused_variable"] and r.gradient == [2.0]


def test_the_texts_own_point_and_errors() -> None:
    for x in (1.0, 2.0):
        assert adcli.value("x*y at y=3", x=x).value == [3 * x]
    for _ in range(2):  # an error is raised on every call, never remembered as a problem
        with pytest.raises(AdcliError) as caught:
            adcli.value("x*y", x=1.0)
        assert caught.value.kind == "unbound_variable"
    assert adcli.value("x*y", x=1.0, y=4.0).value == [4.0]


def test_the_jacobian_reads_as_lists_and_the_matrix_is_kept() -> None:
    r = adcli.jacobian("x*2", x=np.array([1.0, 2.0]))
    assert r.jacobian == [[2.0, 0.0], [0.0, 2.0]] and isinstance(r.jacobian, list)
    np.testing.assert_array_equal(r.matrix(), [[2.0, 0.0], [0.0, 2.0]])


def test_a_point_set_in_the_text_is_not_remembered_and_stays_right() -> None:
    for y in (2.0, 3.0):
        r = adcli.gradient("x*y at x={1, 2}", y=y, wrt=["x"])
        assert np.asarray(r.jacobian[0][0]).tolist() == [y, y]
    assert not reuse._recent


def test_suspended_calls_neither_use_nor_add_to_the_memory() -> None:
    adcli.gradient("sum(x*x)", x=np.ones(2))
    kept = dict(reuse._recent)
    with reuse.suspended():
        assert adcli.gradient("sum(x*x)", x=np.array([1.0, 3.0])).gradient[0].tolist() == [2.0, 6.0]
        adcli.gradient("sum(x*x*x)", x=np.ones(2))
    assert reuse._recent == kept
