"""adcli.commands.emit: the trace as a straight-line Python program.

adcli only writes the text; these tests run it (exec of generated text, here in the test only) and
check it against the exact Jacobians of the calculus examples and the survey's worked example.
"""

from __future__ import annotations

import ast
import math
from typing import Any

import numpy as np
import pytest

from adcli import api
from adcli.commands.emit import NUMPY_DEFS, python_source, ufunc
from adcli.commands.trace import compute
from adcli.core.primitives import ELEMENTWISE as TABLE


def _module(text: str, at: Any, mode: str = "both", **seeds: Any) -> tuple[str, dict[str, Any]]:
    source = python_source(compute(api.prepare(text, at), mode, **seeds))
    namespace: dict[str, Any] = {}
    exec(compile(source, "<adcli-emitted>", "exec"), namespace)  # noqa: S102 - running adcli's output is the test
    return source, namespace


def test_survey_program_reads_like_the_tables_and_computes_the_gradient() -> None:
    source, ns = _module("ln(x1) + x1*x2 - sin(x2)", "x1=2,x2=5")
    assert "    vdot_2 = vdot_m1*v_0 + vdot_0*v_m1\n" in source
    assert "    vbar_0 = vbar_0 + vbar_2*v_m1\n" in source
    assert "def forward(x1, x2, x1_dot=1.0, x2_dot=0.0):" in source
    assert "def reverse(x1, x2, y_bar=1.0):" in source
    value, tangent = ns["forward"](2.0, 5.0)
    assert value == pytest.approx(11.652071455223084, rel=1e-15)
    assert tangent == pytest.approx(5.5, rel=1e-15)
    assert ns["forward"](2.0, 5.0, 0.0, 1.0)[1] == pytest.approx(1.7163378145367738, rel=1e-15)
    _, gradient = ns["reverse"](2.0, 5.0)
    assert list(gradient) == pytest.approx([5.5, 1.7163378145367738], rel=1e-15)
    assert list(ns["reverse"](1.0, 0.5)[1]) == pytest.approx([1 + 0.5, 1 - 0.8775825618903728], rel=1e-14)


def test_emitted_programs_give_the_exact_jacobians(calculus: list[dict]) -> None:
    for problem in calculus:
        prepared = api.prepare(problem["expr"], problem["at"], problem["wrt"])
        if prepared.wrt != prepared.tape.names:
            continue  # the program's parameters are the tape's inputs
        args = [problem["at"][n] for n in prepared.wrt]
        n_out = len(problem["jacobian"])
        for i in range(n_out):
            cot = [1.0 if j == i else 0.0 for j in range(n_out)]
            source = python_source(compute(prepared, "reverse", cotangent=cot))
            ns: dict[str, Any] = {}
            exec(compile(source, "<adcli-emitted>", "exec"), ns)  # noqa: S102
            _, gradient = ns["reverse"](*args)
            assert list(gradient) == pytest.approx(problem["jacobian"][i], rel=1e-11, abs=1e-12), problem["expr"]


def test_several_outputs_and_seeds_become_default_arguments() -> None:
    _, ns = _module("x*y, x + y", "x=3,y=4", direction=[0, 1], cotangent=[2, 1])
    values, tangents = ns["forward"](3.0, 4.0)
    assert list(values) == pytest.approx([12, 7], rel=1e-15)
    assert list(tangents) == pytest.approx([3, 1], rel=1e-15)
    _, gradient = ns["reverse"](3.0, 4.0)
    assert list(gradient) == pytest.approx([2 * 4 + 1, 2 * 3 + 1], rel=1e-15)


def test_functions_are_numpy_only_and_shadow_no_builtin() -> None:
    source, ns = _module("sigmoid(x) + sec(x) + relu(x) + max(x, 0.5) + abs(x) + atan2(x, 1)", "x=0.7", mode="reverse")
    assert "adcli" not in source.replace("`adcli trace", "")  # numpy is all it needs
    assert "np.maximum(v_0, 0.5)" in source and "np.absolute(v_0)" in source and "np.arctan2(v_0, 1)" in source
    assert "def sigmoid(x):" in source and "def relu(x):" in source
    assert not {"abs", "max", "min", "pow"} & set(ns)  # the builtins stay the builtins
    s = 1 / (1 + math.exp(-0.7))
    expected = s * (1 - s) + math.tan(0.7) / math.cos(0.7) + 1 + 1 + 1 + 1 / (1 + 0.7**2)
    assert ns["reverse"](0.7)[1][0] == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_primitive_has_a_numpy_spelling_that_agrees_with_the_table(name: str) -> None:
    prim = TABLE[name]
    if ufunc(name) is not None:
        assert isinstance(getattr(np, ufunc(name)), np.ufunc)
        return
    assert name in NUMPY_DEFS, f"add a numpy definition of {name} to adcli.commands.emit.NUMPY_DEFS"
    ns: dict[str, Any] = {"np": np}
    exec("\n".join(NUMPY_DEFS[name]), ns)  # noqa: S102 - the definition is adcli's own text, run by the test
    xs = np.array([-30.0, -2.5, -0.7, 0.3, 0.9, 2.5, 30.0])
    args = [xs, np.flip(xs) + 0.1][: prim.arity]
    ok = np.asarray(prim.domain(*args), bool) if prim.domain is not None else np.ones(xs.shape, bool)
    with np.errstate(all="ignore"):
        want, got = np.asarray(prim.fn(*args), float), np.asarray(ns[name](*args), float)
    assert got[ok] == pytest.approx(want[ok], rel=1e-14, abs=1e-300)


def test_a_batch_numbers_its_programs_and_constant_outputs_have_tangent_0() -> None:
    source = python_source(compute(api.prepare("x*y, 3, x", "x=2,y=5")), "_2")
    assert "def forward_2(" in source and "def reverse_2(" in source and "def forward(" not in source
    ns: dict[str, Any] = {}
    exec(compile(source, "<adcli-emitted>", "exec"), ns)  # noqa: S102
    values, tangents = ns["forward_2"](2.0, 5.0)
    assert list(values) == pytest.approx([10, 3, 2], rel=1e-15)
    assert list(tangents) == pytest.approx([5, 0, 1], rel=1e-15)  # the constant output's tangent is 0, not 3


def test_awkward_names_become_valid_parameters() -> None:
    source, ns = _module("lambda*v_1 + pi*x", "lambda=2,v_1=3,x=1", mode="forward")
    ast.parse(source)
    assert "def forward(lambda_, v_1_, x, lambda_dot=1.0, v_1_dot=0.0, x_dot=0.0):" in source
    assert "pi = np.pi" in source
    assert ns["forward"](2.0, 3.0, 1.0)[1] == pytest.approx(3.0, rel=1e-15)
