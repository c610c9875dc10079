"""Hypothesis strategies: random expression graphs drawn from the primitive table, inside each row's domain.

Like JAX's LAX_GRAD_OPS, every primitive gets its arguments from its domain: an argument that must
be positive goes through `sigmoid(·) + 0.5`, one that must lie in (-1, 1) through `0.9*tanh(·)`, and
so on. Graphs are built with `graph.make` (what the parser builds: no folding), so they can be
printed and parsed back node for node. Constants are non-negative: the language writes -2 as neg(2).
`decimal_expressions` add decimal coefficients (2.5, 0.2, 49, 3.7e-3: exact rationals in symbolic mode)
that scale, divide and cancel: c*u, u/c, (c*u)/(d*v).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from hypothesis import strategies as st

from adcli.core.graph import Node, const, make, var
from adcli.core.primitives import ELEMENTWISE as TABLE

VARIABLES = ("x", "y", "z", "θ", "x_1")
CONSTANTS = (0.5, 1.0, 2.0, 3.0, 0.25, 1.5, 0.1, math.pi, math.e)


def _call(op: str, *args: Node) -> Node:
    return make(op, args)


def positive(c: Node) -> Node:
    """(0.5, 1.5): for log, sqrt, a power's base."""
    return _call("add", _call("sigmoid", c), const(0.5))


def open_unit(c: Node) -> Node:
    """(-0.9, 0.9): for asin, acos, atanh."""
    return _call("mul", const(0.9), _call("tanh", c))


def above_one(c: Node) -> Node:
    """(1.5, 2.5): for acosh."""
    return _call("add", const(1.5), _call("sigmoid", c))


def off_poles(c: Node) -> Node:
    """(0.25, 1.25): away from the poles of tan, sec, csc and cot."""
    return _call("add", const(0.25), _call("sigmoid", c))


def same(c: Node) -> Node:
    return c


Adapter = Callable[[Node], Node]

#: primitive -> one adapter per argument (absent: the argument is used as drawn).
DOMAINS: dict[str, tuple[Adapter, ...]] = {
    "log": (positive,),
    "log10": (positive,),
    "log2": (positive,),
    "sqrt": (positive,),
    "pow": (positive, same),
    "asin": (open_unit,),
    "acos": (open_unit,),
    "atanh": (open_unit,),
    "acosh": (above_one,),
    "tan": (off_poles,),
    "sec": (off_poles,),
    "csc": (off_poles,),
    "cot": (off_poles,),
}


def apply(name: str, args: tuple[Node, ...]) -> Node:
    adapters = DOMAINS.get(name, (same,) * len(args))
    return make(name, tuple(f(a) for f, a in zip(adapters, args, strict=True)))


leaves = st.one_of(st.sampled_from(VARIABLES).map(var), st.sampled_from(CONSTANTS).map(const))


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    def draw_args(name: str) -> st.SearchStrategy[Node]:
        arity = TABLE[name].arity
        return st.tuples(*[children] * arity).map(lambda args: apply(name, args))

    integer_power = st.tuples(children, st.sampled_from([2.0, 3.0])).map(lambda p: make("pow", (p[0], const(p[1]))))
    return st.one_of(st.sampled_from(sorted(TABLE)).flatmap(draw_args), integer_power)


#: one expression graph, up to about 10 leaves.
expressions = st.recursive(leaves, _extend, max_leaves=10)

#: a point: a value in [-2, 2] for each variable the expressions may use.
points = st.fixed_dictionaries({name: st.floats(-2.0, 2.0, allow_nan=False) for name in VARIABLES})


#: a decimal literal as text: 49, 2.5, 0.2, 0.05, 12.3, 3.7e-3 (never a whole float's binary expansion).
decimal_texts = st.one_of(
    st.builds(
        lambda n, k: str(Fraction(n, 10**k)) if k == 0 else f"{n / 10**k:.{k}f}",
        st.integers(1, 9999),
        st.integers(0, 4),
    ),
    st.builds(lambda n, k: f"{n}e-{k}", st.integers(1, 99), st.integers(1, 6)),
)
#: the constant a decimal literal makes (the parser's node: its exact value is the rational it spells).
decimals = decimal_texts.map(lambda text: const(Fraction(text)))


def _scaled(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    times = st.tuples(decimals, children).map(lambda p: make("mul", p))
    over = st.tuples(children, decimals).map(lambda p: make("div", p))
    ratio = st.tuples(decimals, children, decimals, children).map(
        lambda p: make("div", (make("mul", (p[0], p[1])), make("mul", (p[2], p[3]))))
    )
    return st.one_of(_extend(children), times, over, ratio)


#: one expression graph with decimal coefficients, up to about 8 leaves.
variables = st.sampled_from(VARIABLES).map(var)
decimal_expressions = st.recursive(st.one_of(variables, variables, decimals), _scaled, max_leaves=8)  # 2/3 variables
