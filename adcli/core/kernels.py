"""The optional C kernel (adcli/core/_kernels.c: tanh and sech² in one vectorised pass), loaded with ctypes.

Why ctypes: the kernel is plain C with no Python API, so it builds wherever a C compiler is (setup.py, an
optional extension) without Python's or numpy's headers, and it runs without the GIL (ctypes releases it),
so core/threads.py's threads split it. Where it was not built, or ADCLI_KERNELS=0 is set, `tanh_pair()` is
None and core/tanh.py uses its numpy passes. Loaded on the first big tanh, never at import (start-up).
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import os
from collections.abc import Callable
from pathlib import Path

#: (x, out, partial, n) -> None: out = tanh(x), partial = sech²(x); pointers to n float64s each
Pair = Callable[[int, int, int, int], None]

#: adcli_kernels_version() of the _kernels.c this module was written for: another build (a .so left from
#: an older source, an edit not yet rebuilt by `pip install -e .`) is not loaded
VERSION = 2

_loaded: list[Pair | None] = []


def tanh_pair() -> Pair | None:
    """The kernel's tanh-and-sech² function, or None (not built here, or switched off by ADCLI_KERNELS=0)."""
    if not _loaded:
        _loaded.append(None if os.environ.get("ADCLI_KERNELS", "1") == "0" else _load())
    return _loaded[0]


def _load() -> Pair | None:
    here = Path(__file__).parent
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = here / f"_kernels{suffix}"
        if path.is_file():
            try:
                lib = ctypes.CDLL(str(path))
                if lib.adcli_kernels_version() != VERSION:
                    return None
                fn = lib.adcli_tanh_sech2
            except (OSError, AttributeError):  # a stale or foreign build: the numpy passes instead
                return None
            fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
            fn.restype = None
            return fn
    return None


def reset() -> None:
    """Forget what was loaded (the tests switch the kernel off and on with ADCLI_KERNELS)."""
    _loaded.clear()
