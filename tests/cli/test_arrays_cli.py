"""Arrays through the command line (issue 12): values from generators and files, bad inputs as one-line
errors (never a traceback), labelled and summarised output, --save, --seed, trace and graph."""

# ruff: noqa: N806 - matrices are capitals

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from adcli.cli.app import app

RUNNER = CliRunner()


def run(*args: str):  # noqa: ANN201 - typer's Result
    result = RUNNER.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"adcli {' '.join(args)!r} crashed") from result.exception
    return result


def one_line_error(result, kind: str) -> str:  # noqa: ANN001
    assert result.exit_code == 2 if kind not in ("domain_error", "nonfinite") else 1
    text = result.output
    assert f"error[{kind}]" in text and "Traceback" not in text
    return text


def test_grad_of_a_vector_points_to_jac_sum_and_braces() -> None:
    text = one_line_error(run("grad", "x^2", "--at", "x=[1,2,3]"), "usage_error")
    assert "jac" in text and "sum(x^2)" in text and "x={1, 2, 3}" in text


def test_braces_are_a_set_of_points() -> None:
    out = run("grad", "x^2", "--at", "x={1,2,3}", "--format", "jsonl").stdout
    assert [json.loads(line)["gradient"] for line in out.splitlines()] == [[2.0], [4.0], [6.0]]


def test_a_point_set_over_an_array_is_a_usage_error() -> None:
    one_line_error(run("grad", "sum(x*y)", "--at", "x=[1,2], y={1,2}"), "usage_error")


def test_files_and_generators(tmp_path) -> None:  # noqa: ANN001
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.save(tmp_path / "a.npy", A)
    (tmp_path / "x.csv").write_text("1,2\n", encoding="utf-8")
    at = f"A=@{tmp_path / 'a.npy'}, x=@{tmp_path / 'x.csv'}"
    out = json.loads(run("grad", "sum(A @ x)", "--at", at, "--format", "json").stdout)
    assert out["gradient"] == {"A": [[1.0, 2.0], [1.0, 2.0]], "x": [4.0, 6.0]}
    first = json.loads(run("eval", "sum(W)", "--at", "W=randn(3,2)", "--format", "json").stdout)
    again = json.loads(run("eval", "sum(W)", "--at", "W=randn(3,2)", "--format", "json").stdout)
    other = json.loads(run("eval", "sum(W)", "--at", "W=randn(3,2)", "--seed", "5", "--format", "json").stdout)
    assert first["value"] == again["value"] != other["value"]
    assert first["seed"] == 0 and other["seed"] == 5
    want = float(np.sum(np.random.default_rng(5).standard_normal((3, 2))))
    assert other["value"] == pytest.approx(want, rel=1e-15)
    ident = json.loads(
        run("eval", "tr(I) + sum(z) + sum(o)", "--at", "I=eye(3), z=zeros(2), o=ones(2,2)", "--format", "json").stdout
    )
    assert ident["value"] == 7.0


def test_bad_files_are_refused(tmp_path) -> None:  # noqa: ANN001
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "ragged.csv").write_text("1,2\n3\n", encoding="utf-8")
    (tmp_path / "words.txt").write_text("a b\n", encoding="utf-8")
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    for name in ("obj.npy", "ragged.csv", "words.txt", "empty.csv", "missing.npy"):
        result = run("eval", "sum(x)", "--at", f"x=@{tmp_path / name}")
        one_line_error(result, "usage_error")


def test_huge_randn_is_refused_before_allocation() -> None:
    text = one_line_error(run("eval", "sum(W)", "--at", "W=randn(10000,1000)"), "limit_exceeded")
    assert "10,000,000" in text


@pytest.mark.parametrize(
    ("expr", "at", "kind"),
    [
        ("[1,2] @ [1,2,3]", "", "shape_error"),
        ("sum([[1,2],[3]])", "", "shape_error"),
        ("x[5]", "x=[1,2]", "shape_error"),
        ("det(A)", "A=[[1,2,3],[4,5,6]]", "shape_error"),
        ("sum(inv(A))", "A=[[1,2],[2,4]]", "domain_error"),
        ("logdet(A)", "A=[[1,2],[2,4]]", "domain_error"),
    ],
)
def test_bad_arrays_are_one_line_errors_with_a_caret(expr: str, at: str, kind: str) -> None:
    result = run("grad", expr, *(["--at", at] if at else []))
    text = one_line_error(result, kind)
    assert "^" in text


def test_shape_error_names_the_operator_both_shapes_and_points_at_it() -> None:
    text = run("eval", "x + [1,2] @ [1,2,3]", "--at", "x=1").output
    assert "@" in text and "(2,)" in text and "(3,)" in text
    assert text.splitlines()[-1] == "          ^"


def test_terminal_output_labels_and_summarises(tmp_path) -> None:  # noqa: ANN001
    out = run("grad", "sum(W @ x)", "--at", "W=ones(20,30), x=ones(30)", "--format", "plain").stdout
    assert "d/dW (20×30):" in out and "…" in out
    full = run("grad", "sum(W @ x)", "--at", "W=ones(20,30), x=ones(30)", "--format", "plain", "--full").stdout
    assert "…" not in full and "[29]" in full
    path = tmp_path / "g.npz"
    run("grad", "sum(W @ x)", "--at", "W=ones(2,3), x=[1,2,3]", "--save", str(path))
    saved = np.load(path)
    assert sorted(saved.files) == ["W", "value", "x"]
    np.testing.assert_array_equal(saved["W"], [[1, 2, 3], [1, 2, 3]])
    assert float(saved["value"]) == 12.0


def test_jac_rows_and_columns_are_labelled() -> None:
    out = json.loads(run("jac", "W @ x", "--at", "W=[[1,2],[3,4]], x=[1,1]", "--wrt", "W,x", "--format", "json").stdout)
    assert out["rows"] == ["y[0]", "y[1]"]
    assert out["columns"] == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "x[0]", "x[1]"]


def test_trace_shows_shapes_and_matrix_rules() -> None:
    out = run("trace", "sum(tanh(W @ x))", "--at", "W=[[1,2],[3,4]], x=[1,1]", "--mode", "reverse").stdout
    assert "v̄₋₁ += v̄₁ @ v₀ᵀ" in out and "(2, 2)" in out


def test_forward_trace_on_arrays_shows_the_tangent_sweep() -> None:
    at = ["--at", "W=[[1,2],[3,4]], x=[1,1]", "--dir", "W=[[0,0],[0,0]], x=[1,0]"]
    out = run("trace", "sum(W @ x)", *at, "--mode", "forward").stdout
    assert "tangent trace (forward sweep)" in out and "adjoint trace" not in out
    assert "v̇₁ = v̇₋₁ @ v₀ + v₋₁ @ v̇₀" in out
    data = json.loads(run("trace", "sum(W @ x)", *at, "--mode", "forward", "--format", "json").stdout)
    assert data["jvp"] == [4.0]  # d/dt sum(W @ (x + t e0)) = W[0,0] + W[1,0]
    assert data["adjoint"] is None


def test_trace_dir_of_the_wrong_shape_and_dir_with_reverse_are_usage_errors() -> None:
    at = ["--at", "W=[[1,2],[3,4]], x=[1,1]"]
    text = one_line_error(run("trace", "sum(W @ x)", *at, "--dir", "x=[1,0,0]"), "shape_error")
    assert "--dir for x" in text
    one_line_error(run("trace", "sum(W @ x)", *at, "--dir", "x=[1,0]", "--mode", "reverse"), "usage_error")


def test_emit_python_on_arrays_writes_a_numpy_program() -> None:
    out = run("trace", "sum(tanh(W @ x))", "--at", "W=[[1,2],[3,4]], x=[1,1]", "--emit", "python").stdout
    assert "def forward(W, x, W_dot=None, x_dot=None):" in out and "def reverse(W, x, y_bar=None):" in out
    assert "    vbar_m1 = np.outer(vbar_1, v_0)\n" in out  # matmul's W̄ = Ḡ xᵀ for a vector x
    compile(out, "<adcli-emitted>", "exec")  # only compiled here; tests/commands/test_arrayemit.py runs it


def test_graph_shows_shapes() -> None:
    out = run("graph", "sum(W @ x)", "--at", "W=[[1,2],[3,4]], x=[1,1]", "--format", "plain").stdout
    assert "@ (2,)" in out


def test_symbolic_on_arrays_is_matrix_calculus_evaluated() -> None:
    """Issue 13: --mode symbolic on arrays evaluates the matrix-calculus derivative (it was a usage_error)."""
    out = json.loads(run("grad", "sum(x*x)", "--at", "x=[1,2]", "--mode", "symbolic", "--format", "json").stdout)
    assert out["gradient"] == {"x": [2.0, 4.0]}
    one_line_error(run("jac", "A @ x", "--at", "A=[[1,2],[3,4]], x=[1,1]", "--mode", "symbolic", "--dir", "x=[1,0]"),
                   "usage_error")  # fmt: skip


def test_dir_and_cot_take_arrays_of_the_right_shape() -> None:
    at = ["--at", "A=[[1,2],[3,4]], x=[1,1]", "--format", "json"]
    out = json.loads(run("jac", "A @ x", *at, "--dir", "x=[1,0]").stdout)
    assert out["jvp"] == [[1.0, 3.0]]
    one_line_error(run("jac", "A @ x", *at[:2], "--cot", "[1,0,0]"), "shape_error")


def test_full_shows_a_matrix_of_the_point_in_full_and_no_variables_is_said() -> None:
    """Regression: with --full the point line read `W (2×2):,` (a grid's heading, its grid dropped)."""
    out = run("grad", "sum(W @ x)", "--at", "W=[[1,2],[3,4.5]], x=[1,1]", "--full", "--format", "plain").stdout
    assert "at:      W (2×2) = [[1, 2], [3, 4.5]], x (2,) = [1, 1]" in out
    assert "at:      (no variables)" in run("eval", "[1, 2, 3] * 2", "--format", "plain").stdout


def test_compare_writes_json_on_arrays() -> None:
    """Regression: compare --format json on an array problem crashed (numpy arrays in the point and values)."""
    result = run("compare", "sum(W @ x)", "--at", "W=[[1,2],[3,4]], x=ones(2)", "--format", "json")
    data = json.loads(result.stdout)
    assert data["at"] == {"W": [[1.0, 2.0], [3.0, 4.0]], "x": [1.0, 1.0]} and data["agree"]
    assert data["modes"]["reverse"]["jacobian"] == [[1.0, 1.0, 1.0, 1.0, 4.0, 6.0]]


def test_generated_and_file_arrays_in_at_serve_a_batch(tmp_path) -> None:  # noqa: ANN001
    """Regression: in a batch (jsonl, csv, files, stdin) --at went to the language's point syntax, so
    `x=ones(2)` was 'unknown function ones' and `A=@a.npy` a syntax error."""
    out = run("grad", "sum(x)", "--at", "x=ones(2)", "--format", "jsonl").stdout
    assert json.loads(out)["gradient"] == {"x": [1.0, 1.0]}
    path = tmp_path / "a.npy"
    np.save(path, np.array([[1.0, 2.0], [3.0, 4.0]]))
    problems = tmp_path / "problems.txt"
    problems.write_text("sum(W @ x)\nsum(x @ x)\n")
    at = f"W=randn(2,2), x=@{path}"
    lines = run("grad", "-f", str(problems), "--at", at, "--seed", "5", "--format", "jsonl").stdout.splitlines()
    first, second = (json.loads(line) for line in lines[:2])
    W = np.random.default_rng(5).standard_normal((2, 2))  # the documented generator: numpy's default_rng(seed)
    np.testing.assert_allclose(first["gradient"]["x"], W.sum(axis=0)[:, None] * np.ones((2, 2)), rtol=1e-15)
    assert first["seed"] == 5
    assert second["gradient"]["x"] == [[7.0, 11.0], [9.0, 13.0]]  # 11ᵀXᵀ + Xᵀ11ᵀ, by hand


def test_trace_cot_of_the_wrong_shape_is_a_shape_error() -> None:
    """Regression: trace --cot [1,2,3] for a (2,) output was an internal error (numpy's broadcast failed)."""
    at = ["--at", "A=[[1,2],[3,4]], x=[1,1]"]
    text = one_line_error(run("trace", "A @ x", *at, "--cot", "[1,2,3]"), "shape_error")
    assert "--cot for output 1 has shape (3,)" in text
    out = json.loads(run("trace", "A @ x", *at, "--cot", "[1,2]", "--mode", "reverse", "--format", "json").stdout)
    assert out["gradient"]["x"] == [7.0, 10.0]  # [1, 2] @ A, by hand


def _json(*args: str) -> dict:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("value", ["ones(2)", "zeros(2,3)", "eye(3)", "ones(2, 1)"])
def test_a_generator_in_the_texts_own_point_is_the_array_at_makes(value: str) -> None:
    """`at x=ones(2)` was ones shaped like the number 2: x = 1, silently a scalar."""
    own = _json("grad", f"sum(x*x) at x={value}")
    given = _json("grad", "sum(x*x)", "--at", f"x={value}")
    assert own["at"] == given["at"] and own["gradient"] == given["gradient"]
    x = np.array(own["at"]["x"])
    want = {"ones(2)": np.ones(2), "zeros(2,3)": np.zeros((2, 3)), "eye(3)": np.eye(3), "ones(2, 1)": np.ones((2, 1))}
    np.testing.assert_array_equal(x, want[value])
    np.testing.assert_array_equal(np.array(own["gradient"]["x"]), 2 * want[value])
    assert "seed" not in own


def test_randn_in_the_texts_own_point_takes_the_seed_as_at_does() -> None:
    for seed in ([], ["--seed", "7"]):
        own = _json("grad", "sum(W@x) at W=randn(2,3), x=randn(3)", *seed)
        want = np.random.default_rng(int(seed[1]) if seed else 0)  # numpy's default_rng(seed), in order
        W, x = want.standard_normal((2, 3)), want.standard_normal(3)
        assert own["seed"] == (int(seed[1]) if seed else 0)
        np.testing.assert_array_equal(np.array(own["at"]["W"]), W)
        np.testing.assert_array_equal(np.array(own["at"]["x"]), x)  # the second draw of the same generator
        np.testing.assert_array_equal(np.array(own["gradient"]["x"]), W.sum(0))
    given = _json("grad", "sum(x)", "--at", "x=randn(3)", "--seed", "7")
    assert given["at"] == _json("grad", "sum(x) at x=randn(3)", "--seed", "7")["at"]


def test_a_generator_overridden_by_at_is_not_drawn() -> None:
    out = _json("grad", "sum(x) at x=randn(3)", "--at", "x=[1,2]")
    assert out["at"]["x"] == [1.0, 2.0] and "seed" not in out


def test_ones_in_an_expression_is_still_the_function() -> None:
    assert _json("eval", "sum(ones(x)) at x=[5,6,7]")["value"] == 3.0


@pytest.mark.parametrize(
    ("value", "words"),
    [("eye(2,3)", "eye takes one size"), ("zeros(0)", "at least 1"), ("ones(2.5)", "whole number")],
)
def test_bad_sizes_of_a_generator_in_the_text(value: str, words: str) -> None:
    text = one_line_error(run("grad", f"sum(x) at x={value}"), "usage_error")
    assert words in text and "^" in text


def test_a_huge_generator_in_the_text_is_refused_before_allocation() -> None:
    text = one_line_error(run("eval", "sum(W) at W=randn(10000,1000)"), "limit_exceeded")
    assert "10,000,000" in text


def test_check_a_claimed_gradient_per_variable_at_an_array_point() -> None:
    """check on arrays (issue 12's gap): the answer has one part per --wrt variable, in its shape."""
    at = ["--at", "A=[[1,2],[3,4]], x=[1,-1]", "--wrt", "x,A"]
    right = run("check", "A'@x + A@x, outer(x, x)", "--of", "sum(x*(A@x))", *at, "--format", "json")
    assert right.exit_code == 0 and json.loads(right.stdout)["verdict"] == "correct"
    wrong = run("check", "A@x, outer(x, x)", "--of", "sum(x*(A@x))", *at, "--format", "json")
    found = json.loads(wrong.stdout)
    assert wrong.exit_code == 1 and found["verdict"] == "wrong" and found["counterexample"] is not None
    numeric = run("check", "1 - tanh(x)^2", "--of", "sum(tanh(x))", "--at", "x=[1,2]", "--format", "json")
    assert numeric.exit_code == 4 and json.loads(numeric.stdout)["verdict"] == "agrees"


def test_check_says_what_it_takes_on_arrays() -> None:
    text = one_line_error(run("check", "2*x", "--of", "x^2", "--at", "x=[1,2]"), "usage_error")
    assert "scalar expression" in text and "span or list" not in text
