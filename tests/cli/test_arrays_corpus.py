"""Issue 12's corpus through the command line: every row of tests/data/arrays*.jsonl, as the held-out
corpus runs it (`adcli grad|jac EXPR --at "x=[…],A=[[…]]" --wrt … --format json`).

References are the rows' own numbers (PyTorch float64 autograd, computed outside adcli).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ROOT
from typer.testing import CliRunner

from adcli.cli.app import app

RUNNER = CliRunner()


def _rows(name: str) -> list[dict]:
    with open(ROOT / "tests" / "data" / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _at(point: dict) -> str:
    return ",".join(f"{k}={json.dumps(v)}" for k, v in point.items())


def _run(command: str, row: dict) -> dict:
    args = [command, row["expr"], "--at", _at(row["at"]), "--wrt", ",".join(row["wrt"]), "--format", "json"]
    result = RUNNER.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("row", _rows("arrays.jsonl"), ids=lambda r: r["id"])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradient_rows(row: dict, mode: str) -> None:
    args = [row["expr"], "--at", _at(row["at"]), "--wrt", ",".join(row["wrt"]), "--format", "json"]
    args += ["--mode", mode]
    result = RUNNER.invoke(app, ["grad", *args])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert list(out["gradient"]) == row["wrt"]
    for name in row["wrt"]:
        got, want = np.asarray(out["gradient"][name]), np.asarray(row["gradient"][name])
        assert got.shape == want.shape == tuple(row["shapes"][name])
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out["value"], row["value"], rtol=1e-10, atol=1e-12)
    assert {k: tuple(v) for k, v in out["shapes"].items()} == {k: tuple(v) for k, v in row["shapes"].items()}


@pytest.mark.parametrize("row", _rows("arrays_jac.jsonl"), ids=lambda r: r["id"])
def test_jacobian_rows(row: dict) -> None:
    out = _run("jac", row)
    jac = np.asarray(out["jacobian"])
    assert jac.ndim == 2 and jac.shape == (row["n_out"], row["n_in"])
    np.testing.assert_allclose(jac, row["jacobian"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out["value"], row["value"], rtol=1e-10, atol=1e-12)
    assert out["output_shapes"] == [row["out_shape"]]


def test_a_leading_minus_is_an_expression_for_the_real_command() -> None:
    """`adcli grad "-sum(…)"`: Click would take it for an option; main() hands it over as the expression."""
    import subprocess
    import sys

    args = ["-sum(x^2)", "--at", "x=[1,2]", "--format", "json"]
    done = subprocess.run([sys.executable, "-m", "adcli", "grad", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["gradient"] == {"x": [-2.0, -4.0]}
