"""What probing with new held-out-style problems found (problems in the corpus's styles, new functions,
shapes and bad input, through the command line), each fixed and kept here.

References are written by hand (closed forms) or come from the rows of tests/data/probe_arrays.jsonl,
whose gradients are PyTorch float64 autograd (computed outside adcli).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import Run

POINT = "x=[1,2],A=[[1,2],[3,4]]"


def test_csv_of_an_array_result_is_a_usage_error_with_exit_2(adcli: Run) -> None:
    """csv has no flat row for arrays: the error cell was written, but the command exited 0."""
    code, out, _ = adcli("grad", "sum(A@x)", "--at", POINT, "--format", "csv")
    assert code == 2
    assert "usage_error: csv holds numbers" in out.splitlines()[1]


def test_csv_batch_of_arrays_and_scalars_keeps_the_scalar_rows(adcli: Run) -> None:
    code, out, _ = adcli("grad", "-f", "-", "--format", "csv", stdin="sum(x^2) at x=[1,2]\nx^2 at x=3\n")
    rows = out.splitlines()
    assert code == 2  # the worst line's
    assert "usage_error" in rows[1] and rows[2].endswith(",3.0,9.0,6.0,,")  # x = 3: x², 2x


@pytest.mark.parametrize(
    "args",
    [
        ("grad", "sum(x)", "--at", "x=randn(2)", "--seed", "-1"),
        ("check", "cos(x)", "--of", "sin(x) + abs(x)", "--seed", "-1"),
    ],
)
def test_a_negative_seed_is_a_usage_error(adcli: Run, args: tuple[str, ...]) -> None:
    """numpy's generators take seeds >= 0: -1 was an internal_error (exit 3)."""
    code, out, err = adcli(*args, "--format", "json")
    assert code == 2, out + err
    assert "--seed" in out + err and "x>=0" in out + err and "internal_error" not in out + err


def test_seed_zero_is_the_default_seed(adcli: Run) -> None:
    run = [("grad", "sum(x)", "--at", "x=randn(3)", "--format", "json")]
    default = json.loads(adcli(*run[0])[1])["at"]["x"]
    zero = json.loads(adcli(*run[0], "--seed", "0")[1])["at"]["x"]
    assert default == zero


RECT = "A=[[1,2,3],[4,5,6]],y=[1,-1],B=[[1,2],[3,4],[5,6]]"


@pytest.mark.parametrize("mode", ["reverse", "forward", "numeric"])
def test_diag_of_a_rectangular_matrix_is_its_main_diagonal(adcli: Run, mode: str) -> None:
    """numpy, PyTorch and JAX take a 2×3 matrix's diagonal (2 entries); adcli refused it as a shape_error.
    By hand: d/dA sum(diag(A)·y) puts y on the diagonal; d/dB sum(diag(B)²) puts 2·B[i,i] there."""
    code, out, err = adcli("grad", "sum(diag(A) * y) + sum(diag(B)^2)", "--at", RECT, "--wrt", "A,B", "--mode", mode,
                           "--format", "json")  # fmt: skip
    assert code == 0, out + err
    found = json.loads(out)
    assert found["value"] == pytest.approx(1 - 5 + 1 + 16)
    np.testing.assert_allclose(found["gradient"]["A"], [[1, 0, 0], [0, -1, 0]], atol=1e-8)
    np.testing.assert_allclose(found["gradient"]["B"], [[2, 0], [0, 8], [0, 0]], atol=1e-8)


def test_diag_of_a_rectangular_matrix_in_jac_hess_and_the_emitted_program(adcli: Run) -> None:
    code, out, _ = adcli("jac", "diag(A)", "--at", RECT, "--wrt", "A", "--format", "json")
    assert code == 0 and json.loads(out)["jacobian"] == [[1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0]]
    code, out, _ = adcli("hess", "sum(diag(A)^3)", "--at", RECT, "--wrt", "A", "--format", "json")
    found = json.loads(out)
    assert code == 0 and found["gradient"] == [3, 0, 0, 0, 75, 0]  # 3·A[i,i]²
    assert found["hessian"][0][0] == 6 and found["hessian"][4][4] == 30  # 6·A[i,i]
    code, out, _ = adcli("trace", "sum(diag(A) * y)", "--at", RECT, "--emit", "python")
    space: dict = {}
    exec(compile(out, "<emitted>", "exec"), space)  # noqa: S102 - adcli's own emitted program, in a test
    value, (a_bar, y_bar) = space["reverse"]([[1, 2, 3], [4, 5, 6]], [1, -1])
    assert value == -4 and a_bar.tolist() == [[1, 0, 0], [0, -1, 0]] and y_bar.tolist() == [1, 5]


def test_diag_of_a_rectangular_matrix_in_matrix_calculus_is_not_yet_and_compare_says_so(adcli: Run) -> None:
    code, out, err = adcli("diff", "sum(diag(A) * y)", "--at", RECT, "--wrt", "A")
    assert code == 2 and "diag of a non-square matrix" in out + err
    code, out, _ = adcli("compare", "sum(diag(A) * y)", "--at", RECT, "--wrt", "A", "--format", "plain")
    last = out.rstrip().splitlines()[-1]
    assert code == 0  # forward, reverse and numeric agree; symbolic's "not yet" is a note (was exit 1)
    assert last.startswith("agree: every mode that ran") and last.endswith("symbolic did not run (see the notes)")
    assert "DISAGREE" not in out  # was "DISAGREE: 0 entries"


STEPS = "sum(x[::2] * x[1::2]) + sum(x[::-1] * y) + sum(A[::2, 1::-1])"


@pytest.mark.parametrize("mode", ["reverse", "forward", "numeric", "symbolic"])
def test_slices_with_a_step(adcli: Run, mode: str) -> None:
    """numpy's x[::2], x[::-1] were a syntax_error. By hand at x = y = 1…6, A = [[1,2,3],[4,5,6],[7,8,9]]:
    x[::2]·x[1::2] = 1·2 + 3·4 + 5·6 = 44, its gradient (x₁, x₀, x₃, x₂, x₅, x₄); x[::-1]·y = 56, its gradient
    y reversed; A[::2, 1::-1] takes rows 0, 2 and columns 1, 0: 2 + 1 + 8 + 7 = 18."""
    point = "x=[1,2,3,4,5,6],y=[1,2,3,4,5,6],A=[[1,2,3],[4,5,6],[7,8,9]]"
    code, out, err = adcli("grad", STEPS, "--at", point, "--wrt", "x,A", "--mode", mode, "--format", "json")
    assert code == 0, out + err
    found = json.loads(out)
    assert found["value"] == pytest.approx(44 + 56 + 18)
    np.testing.assert_allclose(found["gradient"]["x"], np.array([2, 1, 4, 3, 6, 5]) + [6, 5, 4, 3, 2, 1], rtol=1e-9)
    np.testing.assert_allclose(found["gradient"]["A"], [[1, 1, 0], [0, 0, 0], [1, 1, 0]], atol=1e-9)


@pytest.mark.parametrize(
    ("text", "read"),
    [("x[1:3:]", "x[1:3]"), ("x[::]", "x[:]"), ("x[1::]", "x[1:]"), ("x[:2:]", "x[:2]"), ("x[2::-1]", "x[2::-1]")],
)
def test_an_empty_step_is_no_step(adcli: Run, text: str, read: str) -> None:
    code, out, _ = adcli("eval", text, "--at", "x=[1,2,3]", "--format", "json")
    assert code == 0 and json.loads(out)["read_as"] == read


def test_a_step_of_zero_is_a_shape_error_with_a_caret(adcli: Run) -> None:
    code, _, err = adcli("grad", "sum(x[::0])", "--at", "x=[1,2]")
    assert code == 2 and "shape_error" in err and "step of 0" in err and err.splitlines()[-1].strip() == "^"


def test_a_step_in_the_emitted_program_and_the_trace(adcli: Run) -> None:
    code, out, _ = adcli("trace", "sum(x[::-2]^2)", "--at", "x=[1,2,3]", "--emit", "python")
    space: dict = {}
    exec(compile(out, "<emitted>", "exec"), space)  # noqa: S102 - adcli's own emitted program, in a test
    value, (x_bar,) = space["reverse"]([1, 2, 3])
    assert code == 0 and value == 10 and x_bar.tolist() == [2, 0, 6]  # x₂² + x₀²
    code, out, _ = adcli("trace", "sum(x[1:3]^2)", "--at", "x=[1,2,3]", "--mode", "forward", "--format", "plain")
    assert "v̇₀[(slice(1, 3),)]" in out  # a slice without a step reads as before


def test_indexing_an_array_literal_says_how(adcli: Run) -> None:
    """`[x, 2*x][1]`: a `[` indexes only after a name or `)`; the syntax_error now says to write ([…])[1]."""
    code, _, err = adcli("grad", "sum([x, 2*x][1])", "--at", "x=[1,2]")
    assert code == 2 and "syntax_error" in err and "write ([1, 2])[0]" in err
    code, out, _ = adcli("grad", "sum(([x, 2*x])[1])", "--at", "x=[1,2]", "--format", "json")
    assert code == 0 and json.loads(out)["gradient"]["x"] == [2.0, 2.0]


def test_check_of_an_answer_of_the_transposed_shape_is_wrong_not_an_internal_error(adcli: Run) -> None:
    """d(a'Xb)/dX = outer(a, b) (m×n); outer(b, a) is n×m: its counterexample has a point and no numbers,
    which the plain rendering read as if it had them (KeyError 'answer', exit 3)."""
    args = ("check", "outer(b, a)", "--of", "a @ X @ b", "--wrt", "X", "--shape", "a=m,X=mxn,b=n")
    code, out, err = adcli(*args)
    assert code == 1 and out.startswith("wrong: the answer by X has shape") and "internal_error" not in out + err
    code, out, _ = adcli(*args, "--format", "json")
    assert code == 1 and json.loads(out)["verdict"] == "wrong"


@pytest.mark.parametrize(
    "args",
    [
        ["taylor", "x^2*y", "--at", "x=1,y=2", "--dir", "x=[1],y=2"],
        ["hess", "x^2", "--at", "x=1", "--hvp", "x=[1,2]"],
        ["hess", "x^2*y", "--at", "x=1,y=2", "--hvp", "[1,2],3"],
    ],
)
def test_an_array_entry_for_a_scalar_variable_in_dir_or_hvp_is_a_shape_error(adcli: Run, args: list[str]) -> None:
    """float() of the array was an internal_error (exit 3); a shape_error naming both shapes, as jac's --dir
    on arrays says it (adcli.core.seeds: one wording for every command)."""
    code, out, err = adcli(*args)
    assert code == 2 and "error[shape_error]: --" in err and "x is a scalar" in err and "Traceback" not in err


def test_dir_and_hvp_by_name_still_take_numbers(adcli: Run) -> None:
    code, out, _ = adcli("hess", "x^2*y", "--at", "x=1,y=2", "--hvp", "x=1,y=0", "--format", "json")
    assert code == 0 and json.loads(out)["hvp"] == [4.0, 2.0]  # H = [[2y, 2x], [2x, 0]] at (1, 2), times (1, 0)
    code, out, _ = adcli("taylor", "x^2*y", "--at", "x=1,y=2", "--dir", "x=1,y=2", "--order", "3", "--format", "json")
    assert code == 0 and json.loads(out)["coefficients"] == [2.0, 6.0, 6.0, 2.0]  # (1+t)^2 (2+2t) expanded
