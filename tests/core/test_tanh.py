"""tanh and sech² on float64 arrays (adcli.core.tanh) against mpmath at 200 bits, entry by entry, by both of
its paths (the C kernel, core/kernels.py, and the numpy passes from one exp): the value within 3 ulps, sech²
within 4, from subnormal |x| through the cut at SMALL to the tails where sech² is subnormal and then 0; ±inf,
±0 and NaN as np.tanh gives them. np.tanh is within 1.2 ulps of the same reference on these points (a check
of the reference, below). CI builds the kernel: there its absence fails instead of skipping."""

from __future__ import annotations

import os
from collections.abc import Iterator

import mpmath as mp
import numpy as np
import pytest

import adcli
from adcli.core import kernels
from adcli.core import tanh as fast

mp.mp.prec = 200
TINY = 2.0**-1074  # the smallest subnormal: the unit of error where the true value is below the normal range


@pytest.fixture(autouse=True, params=["kernel", "numpy"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test on the C kernel and on the numpy passes (ADCLI_KERNELS=0 switches the kernel off)."""
    monkeypatch.setenv("ADCLI_KERNELS", "1" if request.param == "kernel" else "0")
    kernels.reset()
    if request.param == "kernel" and kernels.tanh_pair() is None:
        assert not os.environ.get("CI"), "CI builds the C kernel (setup.py): pip install -e . did not"
        pytest.skip("the C kernel is not built here (no C compiler at install)")
    assert (kernels.tanh_pair() is not None) == (request.param == "kernel")
    yield request.param
    kernels.reset()


def _points() -> np.ndarray:
    rng = np.random.default_rng(12)
    bands = [(-320, -8), (-8, -1), (-1, 0), (0, 1.5), (1.5, 2.9)]  # log10 |x|: tiny .. 800
    parts = [10.0 ** rng.uniform(lo, hi, 1500) for lo, hi in bands]
    parts.append(rng.uniform(fast.SMALL * 0.9, fast.SMALL * 1.5, 1500))  # both sides of the cut
    parts.append(np.nextafter(fast.SMALL, [0.0, 1.0]))
    parts.append(rng.uniform(350.0, 360.0, 300))  # e = exp(-2|x|) turns subnormal
    parts.append([5e-324, 1e-310, 1e-20, 0.5, 1.0, 19.0, 20.0, 355.0, 710.0, 1e300, 1.7e308])
    x = np.concatenate(parts)
    return np.concatenate([x, -x])


def _ulps(got: float, want: mp.mpf) -> float:
    unit = max(float(np.spacing(abs(float(want)))), TINY)
    return float(abs(mp.mpf(got) - want)) / unit


def test_value_and_slope_within_a_few_ulps_of_mpmath_everywhere(path: str) -> None:
    x = _points()
    slope = np.empty_like(x)
    value = fast.tanh(x, partial=slope)
    worst_value = worst_slope = worst_numpy = 0.0
    for xi, vi, si, ni in zip(x, value, slope, np.tanh(x), strict=True):
        t = mp.tanh(mp.mpf(float(xi)))
        worst_value = max(worst_value, _ulps(vi, t))
        worst_slope = max(worst_slope, _ulps(si, mp.sech(mp.mpf(float(xi))) ** 2))
        worst_numpy = max(worst_numpy, _ulps(ni, t))
    # the kernel sums 1 ± e and 4e with their rounding errors (adcli/core/_kernels.c): tighter than the passes
    assert worst_value <= (2.0 if path == "kernel" else 3.0)
    assert worst_slope <= (3.5 if path == "kernel" else 4.0)
    assert worst_numpy <= 1.5  # the reference agrees with the C library's tanh


def test_specials_as_numpy_gives_them() -> None:
    x = np.array([np.inf, -np.inf, 0.0, -0.0, np.nan, 1e308, -1e308])
    slope = np.empty_like(x)
    with np.errstate(all="raise"):  # no flag raised on the way (the sweeps raise on invalid and overflow)
        value = fast.tanh(x, partial=slope)
    np.testing.assert_array_equal(value, np.tanh(x))
    assert np.array_equal(np.signbit(value), np.signbit(np.tanh(x)))
    np.testing.assert_array_equal(slope, [0.0, 0.0, 1.0, 1.0, np.nan, 0.0, 0.0])


def test_any_layout_and_buffers_give_the_same_digits() -> None:
    """A transposed view, kept buffers, the partial alone (sech2) and the value alone: one set of numbers."""
    x = np.random.default_rng(3).standard_normal((40, 30)) * 3
    slope = np.empty((30, 40))
    value = fast.tanh(x.T, np.empty((30, 40)), slope, np.empty((30, 40)))
    np.testing.assert_array_equal(value, fast.tanh(np.ascontiguousarray(x.T)))
    np.testing.assert_array_equal(slope, fast.sech2(x.T))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_an_arrays_tanh_in_the_sweeps_is_this_one(mode: str) -> None:
    """eval and grad of sum(tanh(x)) on an array give these digits (fused in the reverse sweep, by the
    table's partial in forward mode), and agree with mpmath to the same ulps."""
    x = np.concatenate([np.linspace(-4.0, 4.0, 401), [0.0, 1e-12, 20.0, -40.0, 300.0, 720.0]])
    found = adcli.gradient("sum(tanh(x))", x=x, mode=mode).gradient[0]
    np.testing.assert_array_equal(found, fast.sech2(x))
    value = adcli.jacobian("tanh(x)", x=x).value[0]
    np.testing.assert_array_equal(value, fast.tanh(x))


def test_blocks_give_the_whole_arrays_digits(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    if path == "kernel":
        pytest.skip("the kernel takes a thread's stretch in one call: no blocks")
    x = np.random.default_rng(4).standard_normal(1000) * 3
    slope = np.empty_like(x)
    value = fast.tanh(x, partial=slope)
    monkeypatch.setattr(fast, "BLOCK", 7)  # stretches of 7 entries, the last one shorter
    block_slope = np.empty_like(x)
    np.testing.assert_array_equal(fast.tanh(x, partial=block_slope), value)
    np.testing.assert_array_equal(block_slope, slope)


@pytest.mark.parametrize(
    "bad",
    [np.empty(10), np.empty((20, 30))[:, ::2], np.empty((20, 15), dtype=np.float32), np.empty((15, 20))],
    ids=["too small", "strided", "float32", "another shape"],
)
def test_a_buffer_the_passes_cannot_fill_is_refused(bad: np.ndarray) -> None:
    """The kernel writes x.size doubles through each buffer's bare pointer: a smaller one was memory past its
    end, a strided or float32 one garbled; the numpy passes wrote a strided one's copy (the result lost)."""
    x = np.random.default_rng(5).standard_normal((20, 15))
    for k in range(3):
        given: list[np.ndarray | None] = [None, None, None]
        given[k] = bad
        with pytest.raises(ValueError, match="C-contiguous float64"):
            fast.tanh(x, *given)


def _unaligned(shape: tuple[int, ...]) -> np.ndarray:
    """A C-contiguous float64 array at an odd address (np.frombuffer at an offset of 1 byte)."""
    n = int(np.prod(shape))
    a = np.frombuffer(bytearray(8 * n + 1), dtype=np.float64, count=n, offset=1).reshape(shape)
    assert not a.flags.aligned
    return a


def test_an_unaligned_array_is_read_aligned_and_refused_as_a_buffer() -> None:
    """C reads doubles at their alignment: an unaligned x is copied first (same digits), an unaligned buffer refused."""
    x = np.random.default_rng(6).standard_normal((20, 15))
    odd = _unaligned(x.shape)
    odd[...] = x
    slope, want = np.empty_like(x), np.empty_like(x)
    np.testing.assert_array_equal(fast.tanh(odd, partial=slope), fast.tanh(x, partial=want))
    np.testing.assert_array_equal(slope, want)
    with pytest.raises(ValueError, match="aligned"):
        fast.tanh(x, _unaligned(x.shape))


def test_a_build_of_another_version_is_not_loaded(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """A .so left from an older _kernels.c (or an edit not rebuilt) is not used: the numpy passes run instead."""
    if path != "kernel":
        pytest.skip("the kernel's own version check")
    monkeypatch.setattr(kernels, "VERSION", kernels.VERSION + 1)
    kernels.reset()
    assert kernels.tanh_pair() is None
