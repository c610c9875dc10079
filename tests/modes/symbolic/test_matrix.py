# ruff: noqa: N803, N806 - matrices are capitals, as in the expressions
"""Symbolic matrix calculus (issue 13): identities against their closed forms, and printed derivatives
parsed back and evaluated against reverse mode at random shapes and values (hypothesis).

The closed forms are the Matrix Cookbook's, written here in numpy (an independent method: none of
adcli's rules runs); reverse mode is the tape's own sweep over the primitive table's numeric VJPs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from adcli.core.errors import AdcliError
from adcli.core.graph import make
from adcli.core.printing import to_latex, to_text
from adcli.language.parser import parse
from adcli.modes.symbolic.matrix.shapes import MismatchError, Shapes
from adcli.modes.symbolic.matrix.sweep import evaluate, gradient, reverse_gradient

inv = np.linalg.inv

# (expression, wrt, shapes with symbolic sizes, closed form from the values)
IDENTITIES: list[tuple[str, str, dict, Callable[..., np.ndarray]]] = [
    ("x' @ A @ x", "x", {"x": ("n",), "A": ("n", "n")}, lambda x, A: (A + A.T) @ x),
    ("x' @ A @ x", "A", {"x": ("n",), "A": ("n", "n")}, lambda x, A: np.outer(x, x)),
    ("a @ X @ b", "X", {"a": ("m",), "X": ("m", "n"), "b": ("n",)}, lambda a, X, b: np.outer(a, b)),
    ("a @ X' @ b", "X", {"a": ("n",), "X": ("m", "n"), "b": ("m",)}, lambda a, X, b: np.outer(b, a)),
    ("tr(A @ X)", "X", {"A": ("m", "n"), "X": ("n", "m")}, lambda A, X: A.T),
    ("tr(X @ A)", "X", {"X": ("n", "m"), "A": ("m", "n")}, lambda X, A: A.T),
    ("tr(A @ X @ B)", "X", {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "p")}, lambda A, X, B: A.T @ B.T),
    ("tr(A @ X' @ B)", "X", {"A": ("p", "n"), "X": ("m", "n"), "B": ("m", "p")}, lambda A, X, B: B @ A),
    ("tr(X' @ B @ X)", "X", {"X": ("m", "n"), "B": ("m", "m")}, lambda X, B: (B + B.T) @ X),
    ("tr(X @ X)", "X", {"X": ("n", "n")}, lambda X: 2 * X.T),
    ("logdet(X)", "X", {"X": ("n", "n")}, lambda X: inv(X).T),
    ("det(X)", "X", {"X": ("n", "n")}, lambda X: np.linalg.det(X) * inv(X).T),
    ("tr(inv(X) @ A)", "X", {"X": ("n", "n"), "A": ("n", "n")}, lambda X, A: -(inv(X) @ A @ inv(X)).T),
    (
        "a @ inv(X) @ b",
        "X",
        {"a": ("n",), "X": ("n", "n"), "b": ("n",)},
        lambda a, X, b: -inv(X).T @ np.outer(a, b) @ inv(X).T,
    ),
    ("norm(A @ x - b)^2", "x", {"A": ("m", "n"), "x": ("n",), "b": ("m",)}, lambda A, x, b: 2 * A.T @ (A @ x - b)),
    ("norm(X)^2", "X", {"X": ("m", "n")}, lambda X: 2 * X),
    # a column, row or 1x1 matrix broadcast across a matrix: summed back along the copied axis (numpy's rule)
    ("sum(exp(A - c))", "c", {"A": ("m", "n"), "c": ("m", 1)}, lambda A, c: -np.exp(A - c).sum(1, keepdims=True)),
    ("sum(A * r)", "r", {"A": ("m", "n"), "r": (1, "n")}, lambda A, r: A.sum(0, keepdims=True)),
    ("sum((A + s)^2)", "s", {"A": ("m", "n"), "s": (1, 1)}, lambda A, s: 2 * (A + s).sum(keepdims=True)),
    ("norm(x)", "x", {"x": ("n",)}, lambda x: x / np.linalg.norm(x)),
    ("sum(x)", "x", {"x": ("n",)}, lambda x: np.ones_like(x)),
    ("mean(X)", "X", {"X": ("m", "n")}, lambda X: np.ones_like(X) / X.size),
    ("logsumexp(x)", "x", {"x": ("n",)}, lambda x: np.exp(x) / np.sum(np.exp(x))),
    (
        "sum(log(1 + exp(-y * (X @ w))))",
        "w",
        {"X": ("m", "n"), "y": ("m",), "w": ("n",)},
        lambda X, y, w: -X.T @ (y / (1 + np.exp(y * (X @ w)))),
    ),
    (
        "-y @ log(softmax(W @ x))",
        "W",
        {"W": ("k", "n"), "x": ("n",), "y": ("k",)},
        lambda W, x, y: np.outer(np.sum(y) * np.exp(W @ x) / np.sum(np.exp(W @ x)) - y, x),
    ),
    (
        "norm(T - U @ V')^2",
        "U",
        {"T": ("m", "n"), "U": ("m", "k"), "V": ("n", "k")},
        lambda T, U, V: -2 * (T - U @ V.T) @ V,
    ),
    (
        "b @ X' @ X @ c",
        "X",
        {"b": ("n",), "X": ("m", "n"), "c": ("n",)},
        lambda b, X, c: X @ (np.outer(b, c) + np.outer(c, b)),
    ),
]


def _sizes(shapes: dict, rng: np.random.Generator, low: int = 1) -> dict[str, tuple[int, ...]]:
    drawn: dict[str, int] = {}
    return {
        k: tuple(d if isinstance(d, int) else drawn.setdefault(d, int(rng.integers(low, 5))) for d in s)
        for k, s in shapes.items()
    }


def _point(shapes: dict[str, tuple[int, ...]], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Normal entries; a square matrix gets n·I added (nonsingular, positive determinant, not symmetric)."""
    out = {}
    for name, shape in shapes.items():
        value = rng.normal(size=shape)
        if len(shape) == 2 and shape[0] == shape[1]:
            value = value + 2 * shape[0] * np.eye(shape[0])
        out[name] = value
    return out


def _printed(text: str, wrt: str, shapes: dict) -> str:
    return to_text(gradient(parse(text).outputs[0], [wrt], Shapes(shapes)).gradients[0])


_IDS = [f"{t} by {w}" for t, w, *_ in IDENTITIES]


@pytest.mark.parametrize(("text", "wrt", "shapes", "closed"), IDENTITIES, ids=_IDS)
def test_identity_against_its_closed_form(text: str, wrt: str, shapes: dict, closed: Callable) -> None:
    """Found once for symbolic sizes, the printed derivative is parsed back and evaluated at three sizes."""
    printed = _printed(text, wrt, shapes)
    rng = np.random.default_rng(13)
    for _ in range(3):
        point = _point(_sizes(shapes, rng), rng)
        (got,) = evaluate([parse(printed).outputs[0]], point)
        np.testing.assert_allclose(got, closed(*point.values()), rtol=1e-10, atol=1e-12)


_NET = {"X": ("m", "n"), "W1": ("h", "n"), "b1": ("h",), "W2": ("k", "h"), "b2": ("k",), "Y": ("m", "k")}
EXPRESSIONS: list[tuple[str, dict]] = [(text, shapes) for text, _, shapes, _ in IDENTITIES] + [
    ("sum((tanh(X @ W1' + b1) @ W2' + b2 - Y)^2)", _NET),
    ("det(X' @ A @ X)", {"X": ("m", "n"), "A": ("m", "m")}),
    ("(X @ b + c) @ D @ (X @ b + c)", {"X": ("m", "n"), "b": ("n",), "c": ("m",), "D": ("m", "m")}),
    ("sum(exp(A) * B) + tr(A @ B')", {"A": ("n", "n"), "B": ("n", "n")}),
    ("sum(sigmoid(X @ w) * y) / mean(y * y)", {"X": ("m", "n"), "w": ("n",), "y": ("m",)}),
    ("dot(a, b) * sum(outer(a, b) @ c)", {"a": ("n",), "b": ("n",), "c": ("n",)}),
    ("sum(diag(A) * x) + sum(diag(x) @ A)", {"A": ("n", "n"), "x": ("n",)}),
    ("sum(X * b + c) - sum(b * 2 + 1)", {"X": ("m", "n"), "b": ("n",), "c": ()}),
    ("x[0] * x[1] + A[1, 0]", {"x": (3,), "A": (2, 2)}),
    ("sum([x[0], 2*x[1]] * 3)", {"x": (2,)}),
]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(EXPRESSIONS), st.integers(0, 2**31 - 1))
def test_printed_derivative_equals_reverse_mode(case: tuple[str, dict], seed: int) -> None:
    """Every variable's printed gradient, parsed back, equals reverse mode to 1e-12 relative at random sizes."""
    text, shapes = case
    rng = np.random.default_rng(seed)
    names = list(shapes)
    found = gradient(parse(text).outputs[0], names, Shapes(shapes)).gradients
    printed = [parse(to_text(g)).outputs[0] for g in found]
    point = _point(_sizes(shapes, rng, low=1), rng)
    try:
        reference = reverse_gradient(parse(text).outputs[0], names, point)
    except AdcliError as exc:  # X'AX singular when X has more columns than rows: no derivative there
        assume(exc.kind != "domain_error")
        raise
    try:
        got = evaluate(printed, point)
    except AdcliError as exc:  # the printed det(M)·inv(M)' has no value where M is singular; reverse mode's
        assume(exc.kind != "domain_error")  # SVD adjugate has (issue 12), so only the printed side refuses
        raise
    for name, mine, theirs in zip(names, got, reference, strict=True):
        assert np.shape(mine) == np.shape(point[name])  # the layout: a gradient has its variable's shape
        scale = max(1.0, float(np.max(np.abs(theirs))))
        assert float(np.max(np.abs(mine - theirs))) <= 1e-12 * scale, (text, name)


@pytest.mark.parametrize(
    ("text", "wrt", "shapes", "printed"),
    [
        ("x' @ A @ x", "x", {"x": (3,), "A": (3, 3)}, "(A + A') @ x"),
        ("x' @ A @ x", "x", {"x": ("n",), "A": ("n", "n")}, "(A + A') @ x"),
        ("tr(A @ X)", "X", {"A": ("n", "n"), "X": ("n", "n")}, "A'"),
        ("logdet(X)", "X", {"X": ("n", "n")}, "inv(X)'"),
        ("norm(A @ x - b)^2", "x", {"A": ("m", "n"), "x": ("n",), "b": ("m",)}, "2*A' @ (A @ x - b)"),
        (
            "sum(log(1 + exp(-y * (X @ w))))",
            "w",
            {"X": ("m", "n"), "y": ("m",), "w": ("n",)},
            "-X' @ (sigmoid(-y*(X @ w))*y)",
        ),
        ("a @ X' @ b", "X", {"a": (4,), "X": (3, 4), "b": (3,)}, "outer(b, a)"),
        ("norm(T - U @ V')^2", "V", {"T": (4, 3), "U": (4, 2), "V": (3, 2)}, "-2*(T - U @ V')' @ U"),
    ],
)
def test_the_issue_examples_print_in_textbook_form(text: str, wrt: str, shapes: dict, printed: str) -> None:
    assert _printed(text, wrt, shapes) == printed


def test_the_layer_gradients_of_a_two_layer_network() -> None:
    text = "sum((tanh(X @ W1' + b1) @ W2' + b2 - Y)^2)"
    shapes = {"X": ("m", "n"), "W1": ("h", "n"), "b1": ("h",), "W2": ("k", "h"), "b2": ("k",), "Y": ("m", "k")}
    found = gradient(parse(text).outputs[0], ["W1", "b1", "W2", "b2"], Shapes(shapes)).gradients
    texts = [to_text(g) for g in found]
    assert texts[2] == "2*(tanh(X @ W1' + b1) @ W2' + b2 - Y)' @ tanh(X @ W1' + b1)"
    assert texts[3] == "2*(tanh(X @ W1' + b1) @ W2' + b2 - Y)' @ ones(X[:, 0])"  # column sums: R'·1
    assert texts[0].endswith("' @ X") and "sech(X @ W1' + b1)^2" in texts[0]


@pytest.mark.parametrize(
    ("node", "latex"),
    [
        (make("transpose", (make("var", payload="A"),)), r"A^\top"),
        (parse("(A + B)'").outputs[0], r"{\left(A + B\right)}^\top"),
        (parse("A @ x").outputs[0], "A x"),
        (make("hadamard", (make("var", payload="a"), make("var", payload="b"))), r"a \odot b"),
        (parse("tr(A)").outputs[0], r"\operatorname{tr}\left(A\right)"),
        (parse("inv(X)").outputs[0], "{X}^{-1}"),
        (parse("det(X)").outputs[0], r"\det\left(X\right)"),
        (parse("ones(x)").outputs[0], r"\mathbf{1}"),
        (parse("outer(a, b)").outputs[0], r"\operatorname{outer}\left(a, b\right)"),
    ],
)
def test_latex_of_each_matrix_operator(node: object, latex: str) -> None:
    assert to_latex(node) == latex  # type: ignore[arg-type]


def test_symbolic_sizes_that_do_not_unify_are_a_shape_error() -> None:
    with pytest.raises(MismatchError, match="n ≠ m"):
        Shapes({"x": ("n",), "y": ("m",)})(parse("x @ y").outputs[0])


def test_a_vector_gradient_of_a_vector_output_is_refused_for_symbolic_sizes() -> None:
    from adcli.modes.symbolic.matrix.sweep import jacobian

    with pytest.raises(AdcliError, match="needs sizes"):
        jacobian(parse("A @ x").outputs, ["x"], Shapes({"A": ("n", "n"), "x": ("n",)}))


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("sum(x^2 * exp(x))", "x*exp(x)*(x + 2)"),
        ("sum(x^3 * exp(x))", "x^2*exp(x)*(x + 3)"),
        ("sum(x^2*exp(x)*y)", "y*x*exp(x)*(x + 2)"),
    ],
)
def test_a_common_factor_of_several_factors_cancels(text: str, printed: str) -> None:
    """Regression: c*A + c*B = c*(A/c + B/c) divided by the product c = x*exp(x) as one factor, which the
    monomials never take apart: d/dx sum(x^2*exp(x)) printed 317 characters with (x*exp(x))^(-1) in it,
    refused x = 0 (nonfinite) and `hess --mode symbolic` on it never ended. By hand: (x² + 2x)·eˣ."""
    assert _printed(text, "x", {"x": ("n",), "y": ("n",)}) == printed
    x, y = np.array([0.0, -2.0, 0.7]), np.array([1.5, 2.0, -1.0])
    point = {"x": x, "y": y} if "y" in text else {"x": x}
    (got,) = evaluate([parse(printed).outputs[0]], point)
    k = 3 if "x^3" in text else 2
    want = (x**k + k * x ** (k - 1)) * np.exp(x) * (y if "y" in text else 1)
    assert np.allclose(got, want, rtol=1e-15, atol=0)


def test_a_zero_adjoint_into_a_slice_of_an_entry_of_the_gradient() -> None:
    """Regression: hess --mode symbolic of x[0]*sum(x[1:]^3) was an internal_error (MismatchError: `0[0]`):
    the second pass sends a zero adjoint, made the scalar 0, into x[1:]'s scatter, which indexed it.
    By hand: H[0, k] = 3·x_k², H[k, k] = 6·x₀·x_k (k ≥ 1), the rest 0."""
    from adcli.modes.symbolic.matrix.second import hessian_values

    x = np.array([1.5, 2.0, -3.0, 0.5])
    _, matrix, _ = hessian_values(parse("x[0] * sum(x[1:]^3)").outputs[0], ["x"], {"x": x})
    want = np.zeros((4, 4))
    want[0, 1:] = want[1:, 0] = 3 * x[1:] ** 2
    want[1:, 1:] = np.diag(6 * x[0] * x[1:])
    assert np.array_equal(matrix, want)
