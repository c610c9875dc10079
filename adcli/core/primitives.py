"""THE table of primitives: name, arity, numpy evaluation, domain, kink and derivative rule, once.

Each rule gives the partial derivatives of an elementwise primitive, one per argument, as a
function of the arguments and the output. The rules are written with the generic operations
below, so handed numbers they give numbers (forward and reverse sweeps) and handed graph nodes
they give derivative graphs (symbolic mode) — autograd's `defvjp` and JAX's jvp rules, once.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adcli.core import arrays
from adcli.core import tanh as fast_tanh
from adcli.core.graph import Node, build, const, is_const

Rule = Callable[..., object]


class Lifted:
    """Base of the numbers that carry derivatives through the rules (adcli.modes.nested's duals).

    `call` hands a primitive applied to one of them to its `lift`, which evaluates the primitive on the
    plain parts and pushes the derivative parts through this table's own partials: the rules, written
    with the generic operations, are thereby differentiated again (second and higher derivatives).
    """

    __slots__ = ()

    def lift(self, name: str, args: tuple[object, ...]) -> object:
        raise NotImplementedError


@dataclass(frozen=True)
class Kink:
    """A point where the primitive is not differentiable, and what adcli does there.

    Every mode reads this: the primal sweep warns (`nondifferentiable`) where a kink holds on the
    differentiated path, and for a kink that `refuse`s, raises that error after the warning, so that
    forward, reverse, numeric and symbolic mode say the same thing (an infinite slope, 0^0, a branch
    of a^b that exists only at integer b). `along` names the argument whose change the kink is about:
    0^0 is a jump along the exponent only (x^0 is the constant 1), so it holds when that argument
    depends on the variables differentiated, whatever the other does.
    """

    where: Callable[..., object]  # args -> bool (or bool array): True at the kink
    left: str  # the one-sided derivatives, in words
    right: str
    convention: str  # the value the modes use and what the peers do; for a refusal, why there is none
    along: int | None = None  # the argument the kink is about (None: any argument)
    refuse: str | None = None  # an error kind: there is no derivative to give, every mode raises this
    #: a piecewise-linear primitive: the slopes (one per argument) of the linear pieces that meet at the
    #: kink; a Hessian exists there when f with each piece in its place has the same gradient and Hessian
    pieces: tuple[tuple[float, ...], ...] = ()


@dataclass(frozen=True)
class Primitive:
    name: str
    params: tuple[str, ...]
    fn: Callable[..., object]
    partials: tuple[Rule, ...]  # one per argument: (*args, out) -> ∂out/∂arg
    domain: Callable[..., object] | None = None  # args -> bool (array): True where defined
    domain_text: str = "all reals"
    kinks: tuple[Kink, ...] = ()
    analytic: bool = True  # safe for complex-step differentiation
    #: args -> per argument, how far it may move before the primitive bends (sin: 1, log: |x|); numeric mode
    #: keeps its steps below that scale, carried to the variables by the tangents (adcli.modes.numeric.roundoff)
    bend: Callable[..., tuple[Any, ...]] | None = None
    operator: bool = False  # written infix (+ - * / ^) or prefix (-), not called by name
    aliases: tuple[str, ...] = field(default=())
    #: structural primitives (arrays): shape, value, JVP and VJP rules instead of partials (core/arrays.py)
    rules: arrays.Rules | None = None
    shown: str = ""  # the name it prints as, where it differs (max(x) reduces: op "amax")
    #: one point's evaluation (numpy float64 scalars): the operator, which honours np.errstate as the ufunc
    #: does and rounds the same (+ - * / are exact IEEE operations), without the ufunc's ~1 µs of dispatch
    #: per call — most of a one-point primal sweep. pow squares by a·a and leaves the rest to np.power: the
    #: platform's pow behind `**` on scalars can be an ulp off where np.power is not.
    scalar: Callable[..., object] | None = None
    #: float64 arrays (the array sweeps): fused(x, out, partial, spare) writes the value into out and, where
    #: partial is an array, the partial into it, in one pass; the same digits as fn and partials give on
    #: arrays (tanh: both from one exp, core/tanh.py)
    fused: Callable[..., object] | None = None

    @property
    def arity(self) -> int:
        return len(self.params)

    @property
    def rule_text(self) -> str:
        """The domain in a message: log(x - 1) is outside (the argument > 0), not (x > 0), which may not be
        the user's x; functions of several arguments keep their parameters' names (x ≠ 0 or y ≠ 0)."""
        return self.domain_text.replace(self.params[0], "the argument") if self.arity == 1 else self.domain_text


def call(name: str, *args: object) -> object:
    """Apply a primitive generically: numbers in, numbers out; nodes in, a node out."""
    for a in args:  # a loop, not any(genexpr): the sweeps call this for every rule like cos(x)
        if isinstance(a, Node):
            return build(name, *args)  # type: ignore[arg-type]
        if isinstance(a, Lifted):
            return a.lift(name, args)
    return TABLE[name].fn(*args)


def _generic(name: str) -> Callable[..., object]:
    def op(*args: object) -> object:
        return call(name, *args)

    op.__name__ = name
    return op


sin, cos, tan, cot, tanh = _generic("sin"), _generic("cos"), _generic("tan"), _generic("cot"), _generic("tanh")
sqrt, log, sign, sigmoid = _generic("sqrt"), _generic("log"), _generic("sign"), _generic("sigmoid")
sinh, cosh, sech = _generic("sinh"), _generic("cosh"), _generic("sech")


def _number(like: object, value: float) -> object:
    """A constant in a rule: a const node beside nodes (prints as log(10)), else the number."""
    return const(value) if isinstance(like, Node) else value


def _gap(x: Any, one_minus: bool = True) -> Any:
    """1 - x² (asin, acos, atanh) or x² - 1 (acosh) under their partials. On numbers (arrays, duals,
    complex steps) as (1 - x)(1 + x) or (x - 1)(x + 1): near x = ±1 the factor that vanishes is exact
    (Sterbenz), where 1 - x**2 rounded x² first: up to 2e-9 relative near 1 - |x| = 7e-9 (mpmath).
    Nodes keep the textbook form, so the derivative prints as 1/sqrt(1 - x^2) and `check` proves the
    textbook answer; symbolic mode's values evaluate that form (README, Limits)."""
    if isinstance(x, Node):
        return 1 - x**2 if one_minus else x**2 - 1
    return (1 - x) * (1 + x) if one_minus else (x - 1) * (x + 1)


def _atan2_partial(a: Any, b: Any) -> Any:
    """a/(a² + b²), atan2's partials (a = x: in y; a = y: in -x). On numbers as (a/r)/r with r = hypot(a, b):
    a² + b² overflowed past 1.3e154 (atan2(1, 1e200): a nonfinite error for the partial 1e-200) and underflowed
    below 1e-154 (atan2(1e-200, 3e-200): "a division by zero" for a partial of 3e199). Nodes keep the textbook
    form, so symbolic mode prints x/(x^2 + y^2)."""
    if isinstance(a, Node) or isinstance(b, Node):
        return a / (a**2 + b**2) if not (isinstance(a, float) and a == 1) else 1 / (1 + b**2)  # atan: 1/(1 + x^2)
    r = _hypot(a, b)
    return a / r / r


_REAL = (np.float64, float)


def _hypot(a: Any, b: Any) -> Any:
    """hypot in a rule: np.hypot straight on real numbers (one point: call's table lookup and the complex
    check of _continued cost ~5 µs a partial), the table's hypot for arrays, duals and complex steps."""
    if type(a) in _REAL and type(b) in _REAL:
        return np.hypot(a, b)
    return call("hypot", a, b)


def _asinh_partial(x: Any, o: Any) -> Any:
    """1/sqrt(x² + 1), on numbers as 1/hypot(x, 1): x² overflowed past 1.3e154 (a nonfinite error for 1e-200)."""
    return 1 / sqrt(x**2 + 1) if isinstance(x, Node) else 1 / _hypot(x, 1.0)


def _acosh_partial(x: Any, o: Any) -> Any:
    """1/sqrt(x² - 1), on numbers as 1/(sqrt(x - 1)·sqrt(x + 1)): (x - 1)(x + 1) overflowed past 1.3e154,
    and x - 1 is exact near 1 (Sterbenz), as _gap's factor is."""
    return 1 / sqrt(_gap(x, one_minus=False)) if isinstance(x, Node) else 1 / (sqrt(x - 1) * sqrt(x + 1))


def _sigmoid(x: object) -> object:
    """1/(1 + e^-x), written with t = e^-|x| <= 1: no overflow anywhere, a few ulps in both tails."""
    if isinstance(x, float):  # one point (np.float64 too): the same arithmetic without np.where's dispatch
        t = np.exp(-abs(x))
        return 1 / (1 + t) if x >= 0 else t / (1 + t)
    if np.iscomplexobj(x):  # the complex step (numeric mode)
        return _sigmoid_complex(x)
    t = np.exp(-np.abs(x))
    return np.where(np.greater_equal(x, 0), 1 / (1 + t), t / (1 + t))[()]


# Complex continuations for the complex step (numeric mode), where numpy has no complex version.
# Each is the analytic function that agrees with the real one near the real line; the real path
# is untouched. Branches are chosen from the real parts, so Im stays exact (no cancellation).


def _continued(real: Callable[..., object], continuation: Callable[..., object]) -> Callable[..., object]:
    def fn(*args: object) -> object:
        return continuation(*args) if any(np.iscomplexobj(a) for a in args) else real(*args)

    fn.__name__ = getattr(real, "__name__", "fn")
    return fn


def _tail(x: Any) -> Any:
    """exp(-|Re x|·…) continued: e^(-x) where Re x >= 0, e^x elsewhere (modulus at most 1)."""
    return np.exp(-np.where(np.real(x) >= 0, x, -x))


def _atan2_complex(y: Any, x: Any) -> Any:
    steep = np.abs(np.real(y)) > np.abs(np.real(x))
    flat = np.arctan(y / np.where(steep, 1, x)) + np.where(np.real(x) > 0, 0, np.where(np.real(y) >= 0, np.pi, -np.pi))
    return np.where(steep, np.sign(np.real(y)) * np.pi / 2 - np.arctan(x / np.where(steep, y, 1)), flat)


def _sigmoid_complex(x: Any) -> Any:
    t = _tail(x)
    return np.where(np.real(x) >= 0, 1 / (1 + t), t / (1 + t))


def _softplus_complex(x: Any) -> Any:
    return np.where(np.real(x) >= 0, x, 0) + np.log1p(_tail(x))


def _cbrt_complex(x: Any) -> Any:
    return np.where(np.real(x) < 0, -((-x) ** (1 / 3)), x ** (1 / 3))


def _pow_base_partial(a: object, b: object, o: object) -> object:
    """∂(a^b)/∂a = b·a^(b-1), and 0 where b = 0 (a^0 is the constant 1, even at a = 0)."""
    if type(a) is np.float64 and type(b) is np.float64 and b != 0:  # one point, asked first: the common case
        return b * a ** (b - 1)
    if isinstance(a, Node) or isinstance(b, Node):
        return b * a ** (b - 1)
    if isinstance(a, Lifted) or isinstance(b, Lifted):  # a dual: b is a number or a dual itself
        return 0 * a if isinstance(b, (float, int)) and b == 0 else b * a ** (b - 1)
    if isinstance(b, float) and b != 0:  # one point, b nonzero: no masks (np.any alone costs 3 us)
        return b * a if b == 2 else b * a ** (b - 1)  # x^2: 2x, without a copy of x by a ** 1
    zero = np.equal(b, 0)
    if not np.any(zero):
        return b * a ** (b - 1)
    return np.where(zero, 0.0, np.multiply(b, np.power(a, np.where(zero, 1.0, b) - 1)))[()]


def _sech(x: Any) -> Any:
    """1/cosh(x) as 2t/(1 + t²) with t = e^-|x|: no overflow for any x, a few ulps everywhere.

    The complex step takes t = e^-x or e^x by the sign of Re x (sech is even): 1/cosh(x) overflowed
    to 0 beyond |x| = 710, and log(sech(542 + ih)) gave a derivative of 0 instead of -1."""
    t = _tail(x) if not isinstance(x, float) and np.iscomplexobj(x) else np.exp(-np.abs(x))
    return 2 * t / (1 + t * t)


def _tanh_partial(x: Any, o: Any) -> Any:
    """tanh' = sech²(x): on float64 arrays from one exp (core/tanh.py, the digits of the fused pass),
    elsewhere sech(x)², so the derivative graph prints as sech(x)^2 (nodes, duals, complex steps, one point)."""
    if type(o) is np.ndarray and o.dtype == np.float64:
        return fast_tanh.sech2(np.asarray(x, dtype=float))
    return sech(x) ** 2


def _pow_scalar(a: Any, b: Any) -> Any:
    """One point's a^b: a·a for the square (the same number as np.power, which squares too), else np.power."""
    return a * a if b == 2.0 else np.power(a, b)


def _power(a: Any, b: Any) -> Any:
    """a^b; an array squared by numpy's square (the same digits as pow's, in half its time: the network
    loss's residual^2), duals and everything else by np.power."""
    if type(a) is np.ndarray and isinstance(b, float) and b == 2:
        return np.square(a)
    return np.power(a, b)


_power.__name__ = "power"  # emitted programs call it as np.power (adcli.commands.emit.ufunc)


def _pow_exponent_partial(a: object, b: object, o: object) -> object:
    """∂(a^b)/∂b = a^b·log(a), and 0 where a = 0 (0^b is 0 for every b > 0; JAX and PyTorch agree).

    A constant base 0 gives the node 0 too (0^b*log(0) would not build: log(0) folds to a domain error, and
    symbolic mode on arrays refused sum(0^x) at x = [1, 2], where forward and reverse give 0)."""
    if isinstance(a, Node) and is_const(a, 0.0):
        return const(0.0)
    if isinstance(a, Node) or isinstance(o, Node) or isinstance(a, Lifted) or isinstance(o, Lifted):
        return o * log(a)
    zero = np.equal(a, 0)
    return np.where(zero, 0.0, np.multiply(o, np.log(np.where(zero, 1.0, a))))[()]


def _pow_domain(a: object, b: object) -> object:
    # b is an integer where b == floor(b) (np.round would cost microseconds on one number)
    if isinstance(b, float) and float.is_integer(b):  # x^2 of an array: defined everywhere, no masks over a
        return True
    return (a > 0) | (b == np.floor(b)) | ((a == 0) & (b > 0))  # type: ignore[operator]


_ABS_KINK = Kink(
    lambda x: x == 0,
    "-1",
    "+1",
    "0, the midpoint of the subgradient [-1, 1] (JAX uses 1, PyTorch 0)",
    pieces=((-1.0,), (1.0,)),
)
_RELU_KINK = Kink(
    lambda x: x == 0,
    "0",
    "1",
    "1/2, the midpoint of the subgradient [0, 1] (JAX and PyTorch use 0)",
    pieces=((0.0,), (1.0,)),
)
_SIGN_KINK = Kink(lambda x: x == 0, "0", "0", "0 (sign jumps from -1 to 1 here, so it has no derivative)")


def _tie(text: str) -> Kink:
    return Kink(
        lambda a, b: a == b, "0", "1", f"1/2 for each argument at a tie ({text})", pieces=((1.0, 0.0), (0.0, 1.0))
    )


def _infinite_slope(where: Callable[..., object], left: str, right: str, along: int | None = None) -> Kink:
    return Kink(where, left, right, "none: the derivative is infinite here", along, "nonfinite")


def _not_integer(b: Any) -> Any:
    return b != np.floor(b)


def _at_zero_base(a: Any, b: Any, exponent_ok: Callable[[Any], Any]) -> Any:
    """a = 0 where the exponent is such; one point off 0 or one exponent outside (x^2 of an array) is no
    kink, found without masks (the primal sweep asks this of every x^2 with a moving x)."""
    if isinstance(a, float) and a != 0:
        return False
    if isinstance(b, float) and not exponent_ok(b):
        return False
    return (a == 0) & exponent_ok(b)


def _fractional_below_one(b: Any) -> Any:
    return (b > 0) & (b < 1)


def _fractional_above_one(b: Any) -> Any:
    return (b > 1) & _not_integer(b)


# a^b at the edges of its domain (a > 0, or b an integer, or a = 0 and b > 0). Along the exponent:
# 0^b jumps at b = 0 (0^0 = 1 is a convention of the value only: x^x has slope -inf from the right),
# and a^b with a < 0 exists only at integer b. Along the base, at a = 0 with b not an integer, the
# left side is outside the domain: the slope is infinite (0 < b < 1, as sqrt) or 0 from the right.
_POW_KINKS = (
    Kink(
        lambda a, b: (a == 0) & (b == 0),
        "undefined (0^b is infinite for b < 0)",
        "-inf (0^b drops from 0^0 = 1 to 0 for b > 0)",
        "none: 0^0 = 1 holds only along b = 0, so a^b has no derivative in its exponent b here",
        along=1,
        refuse="domain_error",
    ),
    Kink(
        lambda a, b: a < 0,
        "undefined",
        "undefined",
        "none: a^b with a < 0 is a real number only at integer b, so it has no derivative in its exponent b",
        along=1,
        refuse="domain_error",
    ),
    _infinite_slope(
        lambda a, b: _at_zero_base(a, b, _fractional_below_one), "undefined (outside the domain)", "+inf", along=0
    ),
    Kink(
        lambda a, b: _at_zero_base(a, b, _fractional_above_one),
        "undefined (outside the domain: a < 0 needs an integer b)",
        "0",
        "0, the right-hand derivative (the only side inside the domain)",
        along=0,
    ),
)

# atan2(y, x) on its branch cut (y = 0, x < 0): the pieces on either side have the same slope in y,
# 1/x, but atan2 jumps by 2π across the cut (from -π below to π above), so it has no derivative in y.
_ATAN2_CUT = Kink(
    lambda y, x: (y == 0) & (x < 0),
    "1/x (the piece below the cut, near -π)",
    "1/x (the piece above, near π)",
    "1/x, the slope of both pieces (atan2 jumps by 2π across its branch cut y = 0, x < 0: no derivative in y)",
    along=0,
)


# How far an argument may move before a primitive bends: numeric mode's steps stay below this scale,
# carried to the variables by the tangents (sin(x^6) at x = 13 bends every 2e-6 in x, not every 13).
def _UNIT(x: Any) -> tuple[Any, ...]:  # noqa: N802 - the bends are constants of the table
    return (1.0,)


def _OWN(x: Any) -> tuple[Any, ...]:  # noqa: N802
    return (np.abs(x),)


def _WIDE(x: Any) -> tuple[Any, ...]:  # noqa: N802
    return (np.maximum(1.0, np.abs(x)),)


def _TO_ONE(x: Any) -> tuple[Any, ...]:  # noqa: N802
    return (1 - np.abs(x),)


def _ABOVE_ONE(x: Any) -> tuple[Any, ...]:  # noqa: N802
    return (x - 1,)


def _NEAR_COS(x: Any) -> tuple[Any, ...]:  # noqa: N802 - a pole where cos(x) = 0 is |cos(x)| away, about
    return (np.minimum(1.0, np.abs(np.cos(x))),)


def _NEAR_SIN(x: Any) -> tuple[Any, ...]:  # noqa: N802
    return (np.minimum(1.0, np.abs(np.sin(x))),)


def _RADIUS(a: Any, b: Any) -> tuple[Any, ...]:  # noqa: N802
    r = np.hypot(a, b)
    return (r, r)


def _DIV_BEND(a: Any, b: Any) -> tuple[Any, ...]:  # noqa: N802 - linear in a, 1/b bends on the scale |b|
    return (np.inf, np.abs(b))


def _POW_BEND(a: Any, b: Any) -> tuple[Any, ...]:  # noqa: N802 - a^6 bends on |a|/5; b^… on 1/|log a|
    with np.errstate(divide="ignore"):
        return (np.abs(a) / np.maximum(1.0, np.abs(b - 1)), 1 / np.abs(np.log(np.abs(a))))


_P = Primitive
_POLES = "all reals but the poles, where %s = 0"
_PRIMITIVES: list[Primitive] = [
    # operators
    _P("add", ("a", "b"), np.add, (lambda a, b, o: 1, lambda a, b, o: 1), operator=True, scalar=operator.add),
    _P("sub", ("a", "b"), np.subtract, (lambda a, b, o: 1, lambda a, b, o: -1), operator=True, scalar=operator.sub),
    _P("mul", ("a", "b"), np.multiply, (lambda a, b, o: b, lambda a, b, o: a), operator=True, scalar=operator.mul),
    _P(
        "div",
        ("a", "b"),
        np.divide,
        (lambda a, b, o: 1 / b, lambda a, b, o: -o / b),
        operator=True,
        bend=_DIV_BEND,
        scalar=operator.truediv,
    ),
    _P("neg", ("x",), np.negative, (lambda x, o: -1,), operator=True, scalar=operator.neg),
    _P(
        "pow",
        ("a", "b"),
        _power,
        (_pow_base_partial, _pow_exponent_partial),
        _pow_domain,
        "a > 0, or b an integer, or a = 0 and b > 0",
        _POW_KINKS,
        bend=_POW_BEND,
        scalar=_pow_scalar,
    ),
    # trigonometric
    _P("sin", ("x",), np.sin, (lambda x, o: cos(x),), bend=_UNIT),
    _P("cos", ("x",), np.cos, (lambda x, o: -sin(x),), bend=_UNIT),
    _P("tan", ("x",), np.tan, (lambda x, o: 1 + o**2,), domain_text=_POLES % "cos(x)", bend=_NEAR_COS),
    _P(
        "sec",
        ("x",),
        lambda x: 1 / np.cos(x),
        (lambda x, o: o * tan(x),),
        domain_text=_POLES % "cos(x)",
        bend=_NEAR_COS,
    ),
    _P(
        "csc",
        ("x",),
        lambda x: 1 / np.sin(x),
        (lambda x, o: -o * cot(x),),
        domain_text=_POLES % "sin(x)",
        bend=_NEAR_SIN,
    ),
    _P(
        "cot",
        ("x",),
        lambda x: 1 / np.tan(x),
        (lambda x, o: -(1 + o**2),),
        domain_text=_POLES % "sin(x)",
        bend=_NEAR_SIN,
    ),
    _P(
        "asin",
        ("x",),
        np.arcsin,
        (lambda x, o: 1 / sqrt(_gap(x)),),
        lambda x: abs(x) <= 1,
        "-1 <= x <= 1",
        (
            _infinite_slope(lambda x: x == 1, "+inf", "undefined (outside the domain)"),
            _infinite_slope(lambda x: x == -1, "undefined (outside the domain)", "+inf"),
        ),
        bend=_TO_ONE,
    ),
    _P(
        "acos",
        ("x",),
        np.arccos,
        (lambda x, o: -1 / sqrt(_gap(x)),),
        lambda x: abs(x) <= 1,
        "-1 <= x <= 1",
        (
            _infinite_slope(lambda x: x == 1, "-inf", "undefined (outside the domain)"),
            _infinite_slope(lambda x: x == -1, "undefined (outside the domain)", "-inf"),
        ),
        bend=_TO_ONE,
    ),
    _P("atan", ("x",), np.arctan, (lambda x, o: _atan2_partial(1.0, x),), bend=_WIDE),  # 1/(1 + x²)
    _P(
        "atan2",
        ("y", "x"),
        _continued(np.arctan2, _atan2_complex),
        (lambda y, x, o: _atan2_partial(x, y), lambda y, x, o: -_atan2_partial(y, x)),
        lambda y, x: (y != 0) | (x != 0),
        "(y, x) != (0, 0)",
        (_ATAN2_CUT,),
        bend=_RADIUS,
    ),
    # hyperbolic
    _P("sinh", ("x",), np.sinh, (lambda x, o: cosh(x),), bend=_UNIT),
    _P("cosh", ("x",), np.cosh, (lambda x, o: sinh(x),), bend=_UNIT),
    _P("tanh", ("x",), np.tanh, (_tanh_partial,), bend=_UNIT, fused=fast_tanh.tanh),
    _P("sech", ("x",), _sech, (lambda x, o: -o * tanh(x),), bend=_UNIT),
    _P("asinh", ("x",), np.arcsinh, (_asinh_partial,), bend=_WIDE),
    _P(
        "acosh",
        ("x",),
        np.arccosh,
        (_acosh_partial,),
        lambda x: x >= 1,
        "x >= 1",
        (_infinite_slope(lambda x: x == 1, "undefined (outside the domain)", "+inf"),),
        bend=_ABOVE_ONE,
    ),
    _P("atanh", ("x",), np.arctanh, (lambda x, o: 1 / _gap(x),), lambda x: abs(x) < 1, "-1 < x < 1", bend=_TO_ONE),
    # exponential and logarithmic
    _P("exp", ("x",), np.exp, (lambda x, o: o,), bend=_UNIT),
    _P("log", ("x",), np.log, (lambda x, o: 1 / x,), lambda x: x > 0, "x > 0", aliases=("ln",), bend=_OWN),
    _P("log10", ("x",), np.log10, (lambda x, o: 1 / (x * log(_number(x, 10.0))),), lambda x: x > 0, "x > 0", bend=_OWN),
    _P("log2", ("x",), np.log2, (lambda x, o: 1 / (x * log(_number(x, 2.0))),), lambda x: x > 0, "x > 0", bend=_OWN),
    # roots and powers
    _P(
        "sqrt",
        ("x",),
        np.sqrt,
        (lambda x, o: 1 / (2 * o),),
        lambda x: x >= 0,
        "x >= 0",
        (_infinite_slope(lambda x: x == 0, "undefined (outside the domain)", "+inf"),),
        bend=_OWN,
    ),
    _P(
        "cbrt",
        ("x",),
        _continued(np.cbrt, _cbrt_complex),
        (lambda x, o: 1 / (3 * o**2),),
        kinks=(_infinite_slope(lambda x: x == 0, "+inf", "+inf"),),
        bend=_OWN,
    ),
    _P(
        "hypot",
        ("a", "b"),
        _continued(np.hypot, lambda a, b: np.sqrt(a * a + b * b)),
        (lambda a, b, o: a / o, lambda a, b, o: b / o),
        kinks=(
            Kink(
                lambda a, b: (a == 0) & (b == 0),
                "-1 along each axis",
                "+1",
                "none: a cone point, whose slope is 1 in every direction, so no gradient fits (0/0)",
                refuse="nonfinite",
            ),
        ),
        bend=_RADIUS,
    ),
    # piecewise
    _P("abs", ("x",), np.abs, (lambda x, o: sign(x),), kinks=(_ABS_KINK,), analytic=False),
    _P("sign", ("x",), np.sign, (lambda x, o: 0 * x,), kinks=(_SIGN_KINK,), analytic=False),
    _P(
        "min",
        ("a", "b"),
        np.minimum,
        (lambda a, b, o: (1 - sign(a - b)) / 2, lambda a, b, o: (1 + sign(a - b)) / 2),
        kinks=(_tie("JAX and PyTorch also give 1/2 each"),),
        analytic=False,
    ),
    _P(
        "max",
        ("a", "b"),
        np.maximum,
        (lambda a, b, o: (1 + sign(a - b)) / 2, lambda a, b, o: (1 - sign(a - b)) / 2),
        kinks=(_tie("JAX and PyTorch also give 1/2 each"),),
        analytic=False,
    ),
    # activations
    _P(
        "sigmoid", ("x",), _sigmoid, (lambda x, o: o * sigmoid(-x),), bend=_UNIT
    ),  # = o(1 - o), accurate for large x too
    _P(
        "relu",
        ("x",),
        lambda x: np.maximum(x, 0.0),
        (lambda x, o: (1 + sign(x)) / 2,),
        kinks=(_RELU_KINK,),
        analytic=False,
    ),
    _P(
        "softplus",
        ("x",),
        _continued(lambda x: np.logaddexp(0.0, x), _softplus_complex),
        (lambda x, o: sigmoid(x),),
        bend=_UNIT,
    ),
]


def _structural(name: str, params: str, rules: arrays.Rules, **kw: Any) -> Primitive:
    kw.setdefault("domain_text", "real arrays of shapes that fit")
    return Primitive(name, tuple(params.split()), rules.fn, (), rules=rules, analytic=False, **kw)


_PRIMITIVES += [
    _structural("stack", "items", arrays.STACK, operator=True),
    _structural("matmul", "a b", arrays.MATMUL, operator=True),
    _structural("transpose", "A", arrays.TRANSPOSE),
    _structural("index", "a", arrays.INDEX, operator=True),
    _structural("sum", "x", arrays.SUM),
    _structural("mean", "x", arrays.MEAN),
    _structural("prod", "x", arrays.PROD),
    _structural("norm", "x", arrays.NORM, domain_text="all arrays (at 0: the subgradient 0)"),
    _structural("dot", "a b", arrays.DOT),
    _structural("outer", "a b", arrays.OUTER),
    _structural("tr", "A", arrays.TR),
    _structural("det", "A", arrays.DET),
    _structural("inv", "A", arrays.INV, domain_text="a nonsingular matrix"),
    _structural("logdet", "A", arrays.LOGDET, domain_text="a matrix with a positive determinant"),
    _structural("logsumexp", "x", arrays.LOGSUMEXP),
    _structural("softmax", "x", arrays.SOFTMAX),
    _structural("diag", "v", arrays.DIAG),
    _structural("ones", "x", arrays.ONES, domain_text="all arrays (a constant: ones shaped like its argument)"),
    _structural("amax", "x", arrays.AMAX, operator=True, shown="max"),
    _structural("amin", "x", arrays.AMIN, operator=True, shown="min"),
]

#: name -> primitive (operators included, keyed by their internal names).
TABLE: dict[str, Primitive] = {p.name: p for p in _PRIMITIVES}

#: the primitives with partial derivatives (scalar functions applied entry by entry), and the structural ones.
ELEMENTWISE: dict[str, Primitive] = {p.name: p for p in _PRIMITIVES if p.rules is None}
STRUCTURAL: dict[str, Primitive] = {p.name: p for p in _PRIMITIVES if p.rules is not None}

#: names a user may call: function names and their aliases.
FUNCTIONS: dict[str, Primitive] = {alias: p for p in _PRIMITIVES if not p.operator for alias in (p.name, *p.aliases)}
FUNCTIONS["pow"] = TABLE["pow"]

#: named constants of the language (`pi` also spelled π).
CONSTANTS: dict[str, float] = {"pi": float(np.pi), "π": float(np.pi), "e": float(np.e)}
