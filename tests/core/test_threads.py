# ruff: noqa: N806 - matrices are capitals, as in the expression
"""Elementwise work split over threads (adcli.core.threads): how many threads the environment asks for,
and the same numbers, bit for bit, as one thread gives — for ufuncs with broadcasting, tanh and a whole
gradient — with errors raised in a worker arriving as the caller's. The grain is made small here so that
small arrays are split (the split itself is what is tested, not its speed)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import adcli
from adcli.core import tanh as fast
from adcli.core import threads
from adcli.core.errors import AdcliError

LOSS = "sum((tanh(X @ W1' + b1) @ W2' + b2 - Y)^2)"


@pytest.fixture
def split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "GRAIN", 16)
    monkeypatch.setattr(threads, "_count", 3)


@pytest.mark.parametrize(
    ("env", "want"),
    [
        ({"ADCLI_NUM_THREADS": "3", "OPENBLAS_NUM_THREADS": "1"}, 3),  # the override wins
        ({"OPENBLAS_NUM_THREADS": "1"}, 1),  # the command line's scalar work, or the user's choice
        ({"OMP_NUM_THREADS": "1"}, 1),
        ({"ADCLI_NUM_THREADS": "zero", "OMP_NUM_THREADS": "4"}, None),  # not a count: the default
        ({}, None),
    ],
)
def test_the_count_follows_the_environment(env: dict[str, str], want: int | None) -> None:
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert threads._from_environment(env) == (cores if want is None else want)


def test_small_arrays_and_one_thread_are_not_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "_count", 4)
    assert threads.pieces(2 * threads.GRAIN - 1) == 1
    assert threads.pieces(10 * threads.GRAIN) == 4
    monkeypatch.setattr(threads, "_count", 1)
    assert threads.pieces(10 * threads.GRAIN) == 1


@pytest.mark.usefixtures("split")
@pytest.mark.parametrize(
    ("a", "b"),
    [((50, 7), (50, 7)), ((50, 7), (7,)), ((50, 7), (1, 7)), ((50, 7), ()), ((1, 7), (50, 7)), ((200,), (200,))],
)
def test_a_split_ufunc_gives_numpys_digits(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(a), rng.standard_normal(b)[()]
    for fn in (np.add, np.multiply, np.divide):
        out = np.empty(np.broadcast_shapes(a, b))
        np.testing.assert_array_equal(threads.ufunc(fn, (x, y), out), fn(x, y))


@pytest.mark.usefixtures("split")
def test_tanh_split_gives_one_threads_digits() -> None:
    x = np.random.default_rng(1).standard_normal(1001) * 4
    slope = np.empty_like(x)
    value = fast.tanh(x, partial=slope)
    threads._count = 1
    one_slope = np.empty_like(x)
    np.testing.assert_array_equal(value, fast.tanh(x, partial=one_slope))
    np.testing.assert_array_equal(slope, one_slope)


def _network(h: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    shapes = {"X": (256, 32), "W1": (h, 32), "b1": (h,), "W2": (10, h), "b2": (10,), "Y": (256, 10)}
    return {k: rng.standard_normal(s) for k, s in shapes.items()}


def test_the_network_losss_gradient_is_the_same_with_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    point = _network(64)
    monkeypatch.setattr(threads, "_count", 1)
    one = adcli.gradient(LOSS, wrt=["W1", "b1", "W2", "b2"], **point)
    monkeypatch.setattr(threads, "_count", 2)
    monkeypatch.setattr(threads, "GRAIN", 512)
    for _ in range(2):  # the first call and a repeated one (the workspace's arrays)
        found = adcli.gradient(LOSS, wrt=["W1", "b1", "W2", "b2"], **point)
        np.testing.assert_array_equal(found.value[0], one.value[0])
        for g, w in zip(found.gradient, one.gradient, strict=True):
            np.testing.assert_array_equal(g, w)


@pytest.mark.usefixtures("split")
@pytest.mark.filterwarnings("error::RuntimeWarning")  # a worker without the caller's errstate would only warn
def test_an_error_in_a_worker_arrives_as_the_callers() -> None:
    """exp overflows in the last stretch only (a worker's): the sweep's errstate holds there too. (x is big
    enough for the workspace, whose arrays the split ufuncs write into.)"""
    x = np.zeros((128, 128))
    x[-1, -1] = 1000.0
    with pytest.raises(AdcliError) as caught:
        adcli.gradient("sum(exp(x) * x)", x=x)
    assert caught.value.kind == "nonfinite"
    assert "exp(x) overflowed" in caught.value.message


def test_a_ctrl_c_on_the_callers_stretch_waits_for_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (KeyboardInterrupt) in the caller's own task is raised only once the workers are done: the C
    kernel's tasks write through bare pointers into arrays the caller frees on its way out (it was raised at
    once, the workers writing on)."""
    monkeypatch.setattr(threads, "_count", 2)
    done = threading.Event()

    def interrupted() -> None:
        raise KeyboardInterrupt

    def worker() -> None:
        time.sleep(0.3)
        done.set()

    with pytest.raises(KeyboardInterrupt):
        threads.run([interrupted, worker])
    assert done.is_set()
