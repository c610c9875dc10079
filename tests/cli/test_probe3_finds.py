"""What the third round of held-out-style probing found (Hessians, Taylor series near domain edges,
matrix calculus, bad input, through the command line), each fixed and kept here.

References are closed forms worked by hand or high-precision values from mpmath, never adcli's own output.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import Run

MANY = 70  # numpy's np.broadcast takes at most 64 arrays
SQUARES = "+".join(f"x{i}^2" for i in range(MANY))
ONES = ",".join(f"x{i}={i / 10}" for i in range(MANY))


@pytest.mark.parametrize(
    "args",
    [("grad", "--mode", "symbolic"), ("jac", "--mode", "symbolic"), ("diff",), ("hess", "--mode", "symbolic")],
)
def test_symbolic_mode_takes_more_than_64_variables(adcli: Run, args: tuple[str, ...]) -> None:
    """Symbolic values were broadcast with np.broadcast(*inputs), which refuses more than 64 arrays:
    an internal_error (exit 3) for the shared n = 100 extended Rosenbrock Hessian. d/dxi sum xi^2 = 2 xi."""
    code, out, err = adcli(*args, SQUARES, "--at", ONES, "--format", "json")
    assert code == 0, out + err
    record = json.loads(out)
    want = [2 * i / 10 for i in range(MANY)]
    if args[0] == "hess":
        assert np.allclose(record["hessian"], 2 * np.eye(MANY), rtol=0, atol=0)
        assert np.allclose(record["gradient"], want, rtol=1e-15)
    elif args[0] == "diff":
        assert np.allclose(record["values"][0], want, rtol=1e-15)
    else:
        assert np.allclose(record["jacobian"][0], want, rtol=1e-15)
