"""`adcli hess` and `--hvp` with respect to array variables (issue 14 on issue 12's arrays).

References are closed forms, never the code under test: the logistic loss's Hessian X'·diag(y²s(1−s))·X,
the quadratic form's A + A', logdet's −A⁻ᵀ⊗A⁻¹ entries; and numeric mode (second differences) as
an independent method, within its own error estimate.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from conftest import json_cli as cli

from adcli import api
from adcli.commands.hessian import hessian

RNG = np.random.default_rng(7)
X = RNG.standard_normal((20, 3))
Y = np.where(RNG.standard_normal(20) > 0, 1.0, -1.0)
W = RNG.standard_normal(3) * 0.5
LOSS = "sum(log(1 + exp(-y * (X @ w))))"


def text(a: np.ndarray) -> str:
    return json.dumps(np.asarray(a).tolist())


POINT = f"X={text(X)},y={text(Y)},w={text(W)}"


def logistic() -> tuple[np.ndarray, np.ndarray]:
    """The gradient and Hessian of Σ log(1 + exp(−yᵢ·xᵢ'w)) in closed form."""
    s = 1 / (1 + np.exp(Y * (X @ W)))  # σ(−y·z)
    return X.T @ (-Y * s), X.T @ np.diag(Y**2 * s * (1 - s)) @ X


def close(found: object, expected: object, rel: float) -> None:
    a, b = np.asarray(found, dtype=float), np.asarray(expected, dtype=float)
    scale = max(float(np.abs(b).max(initial=0.0)), 1e-300)
    assert a.shape == b.shape
    assert np.all(np.abs(a - b) <= rel * scale), float(np.abs(a - b).max() / scale)


def test_the_logistic_loss_hessian_in_w_through_the_command_line() -> None:
    code, out = cli("hess", LOSS, "--at", POINT, "--wrt", "w")
    assert code == 0, out
    gradient, matrix = logistic()
    assert out["wrt"] == ["w"]
    assert out["labels"] == ["w[0]", "w[1]", "w[2]"]
    assert out["shapes"]["w"] == [3]
    assert out["mode"] == "forward-over-reverse"
    close(out["hessian"], matrix, 1e-13)
    close(out["gradient"], gradient, 1e-13)
    close(out["eigenvalues"], np.linalg.eigvalsh(matrix), 1e-13)
    assert out["verdict"] == "not a critical point"
    assert out["positive_definite"] is True


def test_numeric_mode_on_arrays_agrees_within_its_error_estimate() -> None:
    code, out = cli("hess", LOSS, "--at", POINT, "--wrt", "w", "--mode", "numeric")
    assert code == 0, out
    _, matrix = logistic()
    error = np.abs(np.array(out["hessian"]) - matrix)
    assert np.all(error <= np.array(out["error_estimate"]) + 1e-12 * np.abs(matrix).max())
    close(out["hessian"], matrix, 1e-7)


def test_hvp_with_an_array_direction_by_name_and_in_order() -> None:
    _, matrix = logistic()
    v = np.array([0.5, -1.0, 2.0])
    code, out = cli("hess", LOSS, "--at", POINT, "--wrt", "w", "--hvp", f"w={text(v)}")
    assert code == 0, out
    close(out["hvp"], matrix @ v, 1e-13)
    assert out["sweeps"] == 1
    assert "hessian" not in out or out["hessian"] is None
    code, out = cli("hess", LOSS, "--at", POINT, "--wrt", "w", "--hvp", "0.5,-1,2")
    assert code == 0, out
    close(out["hvp"], matrix @ v, 1e-13)


@pytest.mark.parametrize(
    ("hvp", "kind", "words"),
    [("w=[1,0]", "shape_error", "shape (3,)"), ("1,0", "usage_error", "3 entries"), ("v=[1,0,0]", "usage_error", "v")],
)
def test_a_bad_array_hvp_vector_is_refused(hvp: str, kind: str, words: str) -> None:
    code, out = cli("hess", LOSS, "--at", POINT, "--wrt", "w", "--hvp", hvp)
    assert code == 2
    assert out["kind"] == kind
    assert words in out["message"]


def test_a_matrix_variable_is_flattened_row_major_and_labelled() -> None:
    """logdet(A): ∂²/∂Aᵢⱼ∂Aₚq = −(A⁻¹)qᵢ(A⁻¹)ⱼₚ."""
    a = np.array([[2.0, 0.5], [0.3, 3.0]])
    inv = np.linalg.inv(a)
    pairs = [(0, 0), (0, 1), (1, 0), (1, 1)]
    expected = np.array([[-inv[q, i] * inv[j, p] for p, q in pairs] for i, j in pairs])
    h = hessian(api.prepare("logdet(A)", f"A={text(a)}"), "forward-over-reverse")
    assert h.labels == ["A[0,0]", "A[0,1]", "A[1,0]", "A[1,1]"]
    close(h.hessian, expected, 1e-13)
    close(h.gradient, inv.T.ravel(), 1e-13)


def test_a_quadratic_form_in_x_and_a_mix_of_array_and_scalar_variables() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    h = hessian(api.prepare("x' @ A @ x", f"A={text(a)},x=[0.5,-1]", ["x"]), "forward-over-reverse")
    close(h.hessian, a + a.T, 1e-15)
    # f = s²·Σ sin(xᵢ): ∂²/∂xᵢ² = −s² sin xᵢ, ∂²/∂xᵢ∂s = 2s cos xᵢ, ∂²/∂s² = 2 Σ sin xᵢ
    x, s = np.array([0.1, 0.5, -0.3]), 1.5
    h = hessian(api.prepare("sum(sin(x)) * s^2", f"x={text(x)},s=1.5", ["x", "s"]), "forward-over-reverse")
    expected = np.zeros((4, 4))
    expected[:3, :3] = np.diag(-(s**2) * np.sin(x))
    expected[:3, 3] = expected[3, :3] = 2 * s * np.cos(x)
    expected[3, 3] = 2 * np.sin(x).sum()
    assert h.labels == ["x[0]", "x[1]", "x[2]", "s"]
    close(h.hessian, expected, 1e-14)


@pytest.mark.parametrize(
    ("expr", "at", "wrt"),
    [
        ("det(A)", "A=[[2,1],[1,3]]", ["A"]),
        ("sum(inv(A))", "A=[[2,1],[1,3]]", ["A"]),
        ("logsumexp(x)", "x=[0.1,0.5,-0.3]", ["x"]),
        ("norm(x)", "x=[0.1,0.5,-0.3]", ["x"]),
        ("sum(softmax(x) * c)", "x=[0.1,0.5,-0.3],c=[1,2,3]", ["x"]),
        ("sum(outer(x, y) * B) * dot(x, x)", "x=[0.1,0.5],y=[1,2,3],B=[[1,2,3],[4,5,6]]", ["x", "y"]),
        ("tr(A @ A) + sum(diag(A)^3) + mean(A' @ A)", "A=[[2,1],[1,3]]", ["A"]),
        ("sum([x[0]*x[1], x[2]^2]^2) + max(x^3)", "x=[0.1,0.5,-0.3]", ["x"]),
    ],
)
def test_every_array_rule_carries_tangents_and_agrees_with_numeric_mode(expr: str, at: str, wrt: list[str]) -> None:
    exact = hessian(api.prepare(expr, at, wrt), "forward-over-reverse")
    numeric = hessian(api.prepare(expr, at, wrt), "numeric")
    a, b = np.array(exact.hessian), np.array(numeric.hessian)
    assert np.array_equal(a, a.T) or np.abs(a - a.T).max() <= 1e-15 * np.abs(a).max()
    slack = np.array(numeric.error_estimate) + 1e-9 * np.abs(b).max()
    assert np.all(np.abs(a - b) <= 4 * slack), np.abs(a - b).max()


@pytest.mark.parametrize(
    ("args", "kind", "words"),
    [
        (["hess", "x*2", "--at", "x=[1,2]"], "usage_error", "scalar output"),
        (["hess", "max(x)^3", "--at", "x=[1,2]", "--mode", "symbolic"], "usage_error", "amax"),
        (["hess", "sum(abs(x)^3)", "--at", "x=[0,2]", "--mode", "symbolic"], "usage_error", "forward-over-reverse"),
        (["hess", "sum(abs(x))*y", "--at", "x=[1,0],y=2"], "nondifferentiable", "abs(x)"),
        (["taylor", "sum(x^2)", "--at", "x=[1,2]"], "usage_error", "--dir x=[1, 0]"),
    ],
)
def test_what_arrays_cannot_do_at_order_2_is_said(args: list[str], kind: str, words: str) -> None:
    code, out = cli(*args)
    assert code in (1, 2)
    assert out["kind"] == kind
    assert words in out["message"]


def _prod_hessian(w: list[float]) -> np.ndarray:
    """∂²prod/∂wᵢ∂wⱼ = Π_{k≠i,j} wₖ off the diagonal, 0 on it (prod is linear in each entry)."""
    n = len(w)
    return np.array(
        [[0.0 if i == j else math.prod(w[k] for k in range(n) if k not in (i, j)) for j in range(n)] for i in range(n)]
    )


@pytest.mark.parametrize(
    "w",
    [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0], [0.0, 0.0, 2.0, 5.0], [0.0, 0.0, 0.0], [-1.5, 2.0, 0.5, 4.0, -3.0], [7.0]],
)
def test_prod_has_its_second_derivatives_on_duals_exactly_where_an_entry_is_0(w: list[float]) -> None:
    """prod's rule (the product of the others) on duals: no division, so w with zeros (where prod/wᵢ is 0/0)
    gives the closed form exactly; numeric mode agrees within its estimate."""
    at = f"w={w}"
    found = hessian(api.prepare("prod(w)", at), "forward-over-reverse")
    expected = _prod_hessian(w)
    assert np.array_equal(np.array(found.hessian), expected)
    gradient = [math.prod(w[k] for k in range(len(w)) if k != i) for i in range(len(w))]
    assert found.gradient == gradient
    v = [1.0 + k for k in range(len(w))]
    product = hessian(api.prepare("prod(w)", at), "auto", {"w": v}).hvp
    assert np.allclose(product, expected @ np.array(v), rtol=1e-15, atol=0)
    numeric = hessian(api.prepare("prod(w)", at), "numeric")
    assert np.all(np.abs(np.array(numeric.hessian) - expected) <= np.array(numeric.error_estimate) + 1e-12)


def test_prod_of_scalars_and_of_a_matrix_through_hess() -> None:
    found = hessian(api.prepare("prod([x, y, z])", "x=2,y=0,z=-3"))
    assert found.hessian == [[0.0, -3.0, 0.0], [-3.0, 0.0, 2.0], [0.0, 2.0, 0.0]]
    matrix = hessian(api.prepare("prod(A)", "A=[[1,2],[0,4]]"))
    assert np.array_equal(np.array(matrix.hessian), _prod_hessian([1.0, 2.0, 0.0, 4.0]))  # row-major entries
    squared = hessian(api.prepare("prod(x)^2", "x=[2,0]"))  # (x0·x1)²: H = 2∇p∇pᵀ + 2p∇²p = [[0,0],[0,8]]
    assert squared.hessian == [[0.0, 0.0], [0.0, 8.0]]


@pytest.mark.parametrize(
    ("expr", "at", "wrt"),
    [
        ("x' @ A @ x", "A=[[1,2],[3,4]],x=[0.5,-1]", ["x", "A"]),
        ("logsumexp(A @ x) + x' @ x", "A=[[1.5,0.2],[0.1,2.0]],x=[0.3,-0.7]", ["x", "A"]),
        ("log(det(A)) + sum(inv(A))", "A=[[1.5,0.2],[0.1,2.0]]", ["A"]),
        ("norm(x)^3 * sum(softmax(x) * c)", "x=[0.1,0.5,-0.3],c=[1,2,3]", ["x"]),
        ("sum(sin(x)) * s^2 + mean(x * x) * s", "x=[0.1,0.5,-0.3],s=1.5", ["x", "s"]),
    ],
)
@pytest.mark.parametrize("mode", ["forward-over-forward", "symbolic"])
def test_forward_over_forward_and_symbolic_on_arrays_match_jax_hessian(
    expr: str, at: str, wrt: list[str], mode: str
) -> None:
    """jax.hessian of the same function written in jax.numpy by hand: an independent implementation."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    point = api.prepare(expr, at, wrt).point
    shapes = [np.shape(point[w]) for w in wrt]
    cuts = np.cumsum([0, *[int(np.prod(s, dtype=int)) for s in shapes]])

    def by_hand(flat: object) -> object:
        v = {w: flat[cuts[k] : cuts[k + 1]].reshape(shapes[k]) for k, w in enumerate(wrt)}  # type: ignore[index]
        v.update({k: jnp.asarray(np.asarray(p, dtype=float)) for k, p in point.items() if k not in wrt})
        x, a, s, c = v.get("x"), v.get("A"), v.get("s"), v.get("c")
        return {
            "x' @ A @ x": lambda: x @ a @ x,
            "logsumexp(A @ x) + x' @ x": lambda: jax.nn.logsumexp(a @ x) + x @ x,
            "log(det(A)) + sum(inv(A))": lambda: jnp.log(jnp.linalg.det(a)) + jnp.sum(jnp.linalg.inv(a)),
            "norm(x)^3 * sum(softmax(x) * c)": lambda: jnp.linalg.norm(x) ** 3 * jnp.sum(jax.nn.softmax(x) * c),
            "sum(sin(x)) * s^2 + mean(x * x) * s": lambda: jnp.sum(jnp.sin(x)) * s**2 + jnp.mean(x * x) * s,
        }[expr]()

    with jax.enable_x64(True):
        flat = jnp.concatenate([jnp.ravel(jnp.asarray(np.asarray(point[w], dtype=float))) for w in wrt])
        reference = np.asarray(jax.hessian(by_hand)(flat), dtype=float)
    found = hessian(api.prepare(expr, at, wrt), mode)
    assert found.mode == mode
    close(found.hessian, reference, 1e-13)
    close(found.gradient, hessian(api.prepare(expr, at, wrt), "forward-over-reverse").gradient, 1e-15)


def _det_hessian_by_hand(x: np.ndarray) -> np.ndarray:
    """∂²det/∂Xᵢⱼ∂Xₖₗ = (−1)^(i+j+k+l)·(the cofactor of the (n−2)-minor without rows i, k and columns j, l),
    signed by the order of the rows and columns removed; 0 when i = k or j = l. Written out by permutations."""
    n = len(x)
    out = np.zeros((n * n, n * n))
    for perm in itertools.permutations(range(n)):
        sign = np.linalg.det(np.eye(n)[list(perm)])
        for a in range(n):
            for b in range(n):
                if a == b:
                    continue
                rest = math.prod(x[r, perm[r]] for r in range(n) if r not in (a, b))
                out[a * n + perm[a], b * n + perm[b]] += sign * rest
    return out


@pytest.mark.parametrize("mode", ["forward-over-reverse", "forward-over-forward"])
@pytest.mark.parametrize(
    "x", [[[1.0, 2.0], [2.0, 4.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], [[0.0, 0.0], [0.0, 0.0]]]
)
def test_hessian_of_det_at_a_singular_matrix(x: list, mode: str) -> None:
    """det is a polynomial, so its Hessian exists everywhere; through the duals it was det·inv(A), and a
    singular A was a domain_error ('the derivative of det(X) is undefined'). Against the Leibniz formula."""
    found = hessian(api.prepare("det(X)", f"X={x}"), mode)
    assert np.allclose(found.hessian, _det_hessian_by_hand(np.array(x)), rtol=0, atol=1e-13)
