"""`diff` and symbolic mode on the array corpus (tests/data/arrays*.jsonl, torch float64 references):
every derivative the matrix calculus prints, evaluated, equals the reference gradient or Jacobian."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import load_jsonl

from adcli import api
from adcli.commands.diff import diff
from adcli.commands.matdiff import parse_shapes
from adcli.core.errors import AdcliError

GRADIENTS = load_jsonl("arrays.jsonl")
JACOBIANS = load_jsonl("arrays_jac.jsonl")


def _at(row: dict) -> dict:
    return {k: np.array(v, dtype=float) for k, v in row["at"].items()}


@pytest.mark.parametrize("row", GRADIENTS, ids=[r["id"] for r in GRADIENTS])
def test_diff_values_are_the_corpus_gradients(row: dict) -> None:
    found = diff(row["expr"], row["wrt"], 1, _at(row))
    for k, name in enumerate(row["wrt"]):
        np.testing.assert_allclose(found.values[0][k], row["gradient"][name], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("row", JACOBIANS, ids=[r["id"] for r in JACOBIANS])
def test_symbolic_mode_gives_the_corpus_jacobians(row: dict) -> None:
    result = api.differentiate(api.prepare(row["expr"], _at(row), row["wrt"]), "symbolic")
    np.testing.assert_allclose(result.jacobian, row["jacobian"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("spec", "shapes"),
    [
        ("x=3,A=3x4", {"x": (3,), "A": (3, 4)}),
        ("x=n,A=nxm", {"x": ("n",), "A": ("n", "m")}),
        ("s=(), t=scalar", {"s": (), "t": ()}),
        ("W1 = h x d", {"W1": ("h", "d")}),
    ],
)
def test_shape_specs(spec: str, shapes: dict) -> None:
    assert parse_shapes(spec) == shapes


@pytest.mark.parametrize("spec", ["x", "x=3x4x5", "x=0", "x=3,x=4", "1x=3", "x=3.5"])
def test_bad_shape_specs_are_usage_errors(spec: str) -> None:
    with pytest.raises(AdcliError) as caught:
        parse_shapes(spec)
    assert caught.value.kind == "usage_error"
