# ruff: noqa: N803, N806 - matrices are capitals, as in the expressions
"""The structural rules (issue 12), each against finite differences of an independent numpy program
at random shapes (JAX's check_grads, with hypothesis drawing the shapes and values); forward mode
equals reverse mode; broadcasting follows numpy's own rules.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adcli
from adcli.core.errors import AdcliError

Fn = Callable[..., np.ndarray]


def _fd_jacobian(fn: Fn, point: dict[str, np.ndarray], wrt: list[str], h: float = 1e-6) -> np.ndarray:
    """Central differences of the numpy reference, one entry at a time: rows outputs, columns wrt entries."""
    columns = []
    for name in wrt:
        base = np.asarray(point[name], dtype=float)
        for e in range(base.size):
            moved = []
            for sign in (1, -1):
                bumped = base.copy().reshape(-1)
                bumped[e] += sign * h
                moved.append(np.ravel(fn(**{**point, name: bumped.reshape(base.shape)})))
            columns.append((moved[0] - moved[1]) / (2 * h))
    return np.array(columns).T


def check(text: str, fn: Fn, point: dict[str, np.ndarray], rtol: float = 1e-5) -> None:
    wrt = list(point)
    want = _fd_jacobian(fn, point, wrt)
    value = adcli.value(text, **point).value[0]
    np.testing.assert_allclose(value, fn(**point), rtol=1e-12, atol=1e-12)
    found = {}
    for mode in ("forward", "reverse"):
        found[mode] = np.asarray(adcli.jacobian(text, wrt=wrt, mode=mode, **point).jacobian)
        assert found[mode].shape == want.shape
        np.testing.assert_allclose(found[mode], want, rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(found["forward"], found["reverse"], rtol=1e-12, atol=1e-14)


dims = st.integers(1, 4)
seeds = st.integers(0, 2**32 - 1)


def _rand(seed: int, *shape: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


@settings(max_examples=15, deadline=None)
@given(m=dims, k=dims, n=dims, seed=seeds)
def test_matmul_every_pairing(m: int, k: int, n: int, seed: int) -> None:
    A, B, u, v = _rand(seed, m, k), _rand(seed + 1, k, n), _rand(seed + 2, k), _rand(seed + 3, k)
    check("A @ B", lambda A, B: A @ B, {"A": A, "B": B})
    check("A @ u", lambda A, u: A @ u, {"A": A, "u": u})
    check("u @ B", lambda u, B: u @ B, {"u": u, "B": B})
    check("u @ v", lambda u, v: u @ v, {"u": u, "v": v})


@settings(max_examples=15, deadline=None)
@given(m=dims, n=dims, seed=seeds)
def test_transpose_reductions_and_indexing(m: int, n: int, seed: int) -> None:
    A = _rand(seed, m, n)
    check("A'", lambda A: A.T, {"A": A})
    check("transpose(A) * 2", lambda A: A.T * 2, {"A": A})
    check("sum(A)", lambda A: np.sum(A), {"A": A})
    check("mean(A^2)", lambda A: np.mean(A**2), {"A": A})
    check("prod(A)", lambda A: np.prod(A), {"A": A})
    check("norm(A)", lambda A: np.linalg.norm(A), {"A": A})
    check("logsumexp(A)", lambda A: np.log(np.sum(np.exp(A))), {"A": A})
    check("max(A)", lambda A: np.max(A), {"A": A})
    check("min(A)", lambda A: np.min(A), {"A": A})
    check(f"A[{m - 1}, 0]", lambda A: A[m - 1, 0], {"A": A})
    check("A[:, 0]", lambda A: A[:, 0], {"A": A})
    check(f"A[0:{m}, {n - 1}:]", lambda A: A[0:m, n - 1 :], {"A": A})


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 5), seed=seeds)
def test_vector_rules(n: int, seed: int) -> None:
    x, y = _rand(seed, n), _rand(seed + 1, n)
    check("dot(x, y)", lambda x, y: x @ y, {"x": x, "y": y})
    check("outer(x, y)", lambda x, y: np.outer(x, y), {"x": x, "y": y})
    check("softmax(x)", lambda x: np.exp(x) / np.sum(np.exp(x)), {"x": x})
    check("diag(x)", lambda x: np.diag(x), {"x": x})
    check("[x[0], 2*x[0]*y[0], 3]", lambda x, y: np.array([x[0], 2 * x[0] * y[0], 3]), {"x": x, "y": y})
    check(f"x[{n - 1}:]", lambda x: x[n - 1 :], {"x": x})


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 4), seed=seeds)
def test_matrix_functions(n: int, seed: int) -> None:
    B = _rand(seed, n, n)
    A = B @ B.T + n * np.eye(n)  # positive definite: inv, det and logdet are smooth here
    check("tr(A @ A)", lambda A: np.trace(A @ A), {"A": A})
    check("det(A)", lambda A: np.linalg.det(A), {"A": A})
    check("inv(A)", lambda A: np.linalg.inv(A), {"A": A})
    check("logdet(A)", lambda A: np.linalg.slogdet(A)[1], {"A": A})
    check("diag(A)", lambda A: np.diag(A), {"A": A})


SHAPES = [(), (1,), (3,), (1, 3), (2, 1), (2, 3)]


@settings(max_examples=25, deadline=None)
@given(a=st.sampled_from(SHAPES), b=st.sampled_from(SHAPES), seed=seeds)
def test_broadcasting_follows_numpy(a: tuple, b: tuple, seed: int) -> None:
    x, y = _rand(seed, *a), _rand(seed + 1, *b)
    try:
        want_shape = np.broadcast_shapes(a, b)
    except ValueError:
        with pytest.raises(AdcliError) as caught:
            adcli.value("x*y + x", x=x, y=y)
        assert caught.value.kind == "shape_error"
        return
    point = {"x": x if a else float(x), "y": y if b else float(y)}
    got = np.asarray(adcli.value("x*y + x", **point).value[0])
    assert got.shape == want_shape
    check("x*y + sin(x)", lambda x, y: x * y + np.sin(x), point)


def test_kink_rule_for_ties_of_max() -> None:
    result = adcli.gradient("max(x)", x=np.array([1.0, 3.0, 3.0]))
    np.testing.assert_array_equal(result.gradient[0], [0, 0.5, 0.5])
    assert [w.kind for w in result.warnings] == ["nondifferentiable"]


def test_python_api_takes_and_returns_numpy_arrays() -> None:
    rng = np.random.default_rng(1)
    A, x, b = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(4)
    result = adcli.gradient("sum((A @ x - b)^2)", A=A, x=x, b=b)
    r = A @ x - b
    gA, gx, gb = result.gradient
    np.testing.assert_allclose(gA, 2 * np.outer(r, x), rtol=1e-13)
    np.testing.assert_allclose(gx, 2 * A.T @ r, rtol=1e-13)
    np.testing.assert_allclose(gb, -2 * r, rtol=1e-13)
    assert isinstance(gA, np.ndarray) and gA.shape == (4, 3)


@pytest.mark.parametrize(
    ("text", "kind", "words"),
    [
        ("[1,2] @ [1,2,3]", "shape_error", "(2,) and (3,)"),
        ("[[1,2],[3]]", "shape_error", "ragged"),
        ("x[3]", "shape_error", "out of range"),
        ("A[0, 0, 0]", "shape_error", "3 indices"),
        ("det(x)", "shape_error", "square matrix"),
        ("inv([[1, 2], [2, 4]])", "domain_error", "singular"),
        ("logdet([[0, 1], [1, 0]])", "domain_error", "not positive"),
        ("x + [1, 2]", "shape_error", "do not broadcast"),
    ],
)
def test_bad_inputs_are_one_line_errors(text: str, kind: str, words: str) -> None:
    point = {"x": np.arange(3.0), "A": np.eye(2), "eye2": np.eye(2)}
    with pytest.raises(AdcliError) as caught:
        adcli.value(text, **point)
    assert caught.value.kind == kind
    assert words in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_det_is_differentiable_at_a_singular_matrix(mode: str) -> None:
    """det is a polynomial: at a singular A its gradient is the cofactor matrix (it said 'undefined')."""
    found = adcli.gradient("det(A)", A=np.array([[1.0, 2.0], [2.0, 4.0]]), mode=mode).gradient[0]
    np.testing.assert_allclose(
        found, [[4.0, -2.0], [-2.0, 1.0]], rtol=1e-14, atol=1e-14
    )  # cofactors of [[1, 2], [2, 4]], by hand
    rank_one = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])  # rank 1: every cofactor (2×2 minor) is 0
    np.testing.assert_allclose(
        adcli.gradient("det(A)", A=rank_one, mode=mode).gradient[0], np.zeros((3, 3)), atol=1e-14
    )


def test_det_gradient_is_det_times_inverse_transpose_where_invertible() -> None:
    a = np.array([[2.0, -1.0, 0.5], [0.3, 1.7, -2.0], [1.1, 0.4, 3.0]])
    want = np.linalg.det(a) * np.linalg.inv(a).T  # Jacobi's formula
    np.testing.assert_allclose(adcli.gradient("det(A)", A=a).gradient[0], want, rtol=1e-13)
    np.testing.assert_allclose(adcli.gradient("det(A)", A=np.array([[5.0]])).gradient[0], [[1.0]], rtol=1e-15)


def test_one_index_too_many_is_said_in_the_singular() -> None:
    with pytest.raises(AdcliError) as caught:
        adcli.value("sum(x)[0]", x=np.array([1.0, 2.0]))
    assert caught.value.kind == "shape_error" and "1 index for shape scalar ()" in caught.value.message


@pytest.mark.parametrize("mode", ["forward", "reverse", "symbolic"])
@pytest.mark.parametrize(
    "x",
    [[3e-200, 4e-200], [[3e-200, 0.0], [0.0, 4e-200]], [3e200, -4e200], [1e-170, 2e-170, 2e-170], [5e-324, 0.0]],
)
def test_norm_is_scaled_where_squares_leave_float64(mode: str, x: list) -> None:
    # sqrt(Σx²) of [3e-200, 4e-200] was 0 (x² underflows), "not differentiable at 0", gradient 0; of 3e200 an
    # overflow. The reference: mpmath's 2-norm and x/‖x‖ at 50 digits
    import mpmath as mp

    from adcli.api import gradient

    flat = np.ravel(np.array(x, dtype=float))
    with mp.workdps(50):
        r = mp.sqrt(sum(mp.mpf(float(v)) ** 2 for v in flat))
        expected = [float(mp.mpf(float(v)) / r) for v in flat]
        value = float(r)
    result = gradient("norm(x)", {"x": np.array(x)}, mode=mode)
    assert float(np.ravel(result.value)[0]) == pytest.approx(value, rel=1e-15)
    assert list(np.ravel(result.gradient[0])) == pytest.approx(expected, rel=1e-15, abs=1e-300)
    assert not result.warnings


def test_numeric_mode_does_not_step_silently_over_an_entry_far_smaller_than_its_step() -> None:
    # numeric mode on arrays steps by ~6e-6 at x = 3e-200: norm looked like |t| there and the gradient came
    # out 0 ± 2e-15, silently; the true gradient is [0.6, 0.8] (x/‖x‖). Now its error estimate covers the
    # truth and the result says `inaccurate`. x + 1 at 1e-30, right with the usual step, keeps it unflagged.
    from adcli.api import gradient

    result = gradient("norm(x)", {"x": np.array([3e-200, 4e-200])}, mode="numeric")
    found, error = np.ravel(result.gradient[0]), np.ravel(result.error_estimate)
    assert np.all(np.abs(found - [0.6, 0.8]) <= error)
    assert [w.kind for w in result.warnings] == ["inaccurate"]
    result = gradient("sum(x + 1)", {"x": np.array([1e-30, 1.0])}, mode="numeric")
    assert list(np.ravel(result.gradient[0])) == pytest.approx([1.0, 1.0], rel=1e-8)
    assert not result.warnings
