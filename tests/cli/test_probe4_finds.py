"""What the fourth round of held-out-style probing found (arrays, Hessians, Taylor series, matrix
calculus, bad input, through the command line), each fixed and kept here.

References are closed forms worked by hand or high-precision values from mpmath, never adcli's own output.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import Run


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_logsumexp_gradient_at_large_entries_is_softmax(adcli: Run, mode: str) -> None:
    """∂logsumexp/∂x = softmax(x) was exp(x - logsumexp(x)), whose rounded logsumexp (an ulp of 1e8 is
    1.5e-8) gave 0.49999999904767284 for 1/2. At [1e8, 1e8, 3] the gradient is [1/2, 1/2, e^(3-1e8)/2 = 0]."""
    code, out, err = adcli("grad", "logsumexp(x)", "--at", "x=[1e8,1e8,3]", "--mode", mode, "--format", "json")
    assert code == 0, out + err
    assert json.loads(out)["gradient"]["x"] == pytest.approx([0.5, 0.5, 0.0], rel=1e-15, abs=0)


@pytest.mark.parametrize("mode", ["forward-over-reverse", "forward-over-forward"])
def test_logsumexp_hessian_at_large_entries(adcli: Run, mode: str) -> None:
    """H = diag(p) - p pᵀ with p = softmax(x) = [1/2, 1/2]: [[1/4, -1/4], [-1/4, 1/4]] (the off-diagonal
    came out -0.24999999904767284, the Hessian not even symmetric in its last digits)."""
    code, out, err = adcli("hess", "logsumexp(x)", "--at", "x=[1e8,1e8]", "--mode", mode, "--format", "json")
    assert code == 0, out + err
    record = json.loads(out)
    assert np.allclose(record["hessian"], [[0.25, -0.25], [-0.25, 0.25]], rtol=1e-15, atol=0)
    assert record["gradient"] == pytest.approx([0.5, 0.5], rel=1e-15)
