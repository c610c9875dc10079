"""adcli: a command-line derivative calculator (forward and reverse AD, numeric and symbolic).

    >>> import adcli
    >>> adcli.gradient("sin(x)*y", x=1, y=2).gradient  # doctest: +SKIP
    [1.0806046117362795, 0.8414709848078965]

The API is loaded on first use, so `adcli --version` and `--help` stay quick.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["gradient", "jacobian", "value", "jvp", "vjp", "prepare", "differentiate", "AdcliError", "Result"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from adcli import api

        found = globals()[name] = getattr(api, name)  # the next call finds it here (a training loop's µs)
        return found
    raise AttributeError(f"module 'adcli' has no attribute {name!r}")
