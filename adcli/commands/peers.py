"""PyTorch and JAX as peers of `adcli compare --with torch,jax`: the tape replayed in each framework.

A translation table, not derivative rules: each adcli primitive maps to the framework function that
computes the same value (torch.sin, jax.numpy.sin, …), and the framework differentiates it with its
own rules and its own conventions at kinks (abs'(0) is 1 in JAX and 0 in PyTorch). The replay is one
loop over adcli's tape, in float64 in both. Neither framework is imported until a comparison asks
for it; a missing one is a note (`torch is not installed: pip install 'adcli[torch]'`), not an error.
"""

from __future__ import annotations

import contextlib
import importlib
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adcli.core.errors import AdcliError

PEERS = ("torch", "jax")
Fn = Callable[..., Any]


@dataclass(frozen=True)
class Row:
    """One primitive in each framework: given the framework's module (torch, or jax), the function."""

    torch: Callable[[Any], Fn]
    jax: Callable[[Any], Fn]


def _cbrt_torch(t: Any) -> Fn:
    # torch has no cbrt, and torch.pow(x, 1/3) is nan for x < 0: the real cube root by its sign
    return lambda x: t.sign(x) * t.abs(x).pow(1.0 / 3.0)


def _softplus_torch(t: Any) -> Fn:
    # not torch.nn.functional.softplus: above x = 20 (its threshold) it returns x and its derivative 1,
    # 2e-9 away from the function; logaddexp(x, 0) is log(1 + e^x) everywhere, and it is what JAX uses
    return lambda x: t.logaddexp(x, t.zeros_like(x))


#: adcli primitive name -> what each framework computes for it. Every row of adcli.core.primitives.TABLE is here.
TABLE: dict[str, Row] = {
    # operators
    "add": Row(lambda t: t.add, lambda j: j.numpy.add),
    "sub": Row(lambda t: t.subtract, lambda j: j.numpy.subtract),
    "mul": Row(lambda t: t.multiply, lambda j: j.numpy.multiply),
    "div": Row(lambda t: t.divide, lambda j: j.numpy.divide),
    "neg": Row(lambda t: t.negative, lambda j: j.numpy.negative),
    "pow": Row(lambda t: t.pow, lambda j: j.numpy.power),  # both: ∂/∂b = 0 where a = 0, like adcli
    # trigonometric: sec, csc and cot are reciprocals in both (neither has them), as in adcli's table
    "sin": Row(lambda t: t.sin, lambda j: j.numpy.sin),
    "cos": Row(lambda t: t.cos, lambda j: j.numpy.cos),
    "tan": Row(lambda t: t.tan, lambda j: j.numpy.tan),
    "sec": Row(lambda t: lambda x: 1 / t.cos(x), lambda j: lambda x: 1 / j.numpy.cos(x)),
    "csc": Row(lambda t: lambda x: 1 / t.sin(x), lambda j: lambda x: 1 / j.numpy.sin(x)),
    "cot": Row(lambda t: lambda x: 1 / t.tan(x), lambda j: lambda x: 1 / j.numpy.tan(x)),
    "asin": Row(lambda t: t.arcsin, lambda j: j.numpy.arcsin),
    "acos": Row(lambda t: t.arccos, lambda j: j.numpy.arccos),
    "atan": Row(lambda t: t.arctan, lambda j: j.numpy.arctan),
    "atan2": Row(lambda t: t.atan2, lambda j: j.numpy.arctan2),  # (y, x) in both, as in adcli
    # hyperbolic
    "sinh": Row(lambda t: t.sinh, lambda j: j.numpy.sinh),
    "cosh": Row(lambda t: t.cosh, lambda j: j.numpy.cosh),
    "tanh": Row(lambda t: t.tanh, lambda j: j.numpy.tanh),
    "sech": Row(lambda t: lambda x: 1 / t.cosh(x), lambda j: lambda x: 1 / j.numpy.cosh(x)),
    "asinh": Row(lambda t: t.arcsinh, lambda j: j.numpy.arcsinh),
    "acosh": Row(lambda t: t.arccosh, lambda j: j.numpy.arccosh),
    "atanh": Row(lambda t: t.arctanh, lambda j: j.numpy.arctanh),
    # exponential and logarithmic
    "exp": Row(lambda t: t.exp, lambda j: j.numpy.exp),
    "log": Row(lambda t: t.log, lambda j: j.numpy.log),
    "log10": Row(lambda t: t.log10, lambda j: j.numpy.log10),
    "log2": Row(lambda t: t.log2, lambda j: j.numpy.log2),
    # roots and powers
    "sqrt": Row(lambda t: t.sqrt, lambda j: j.numpy.sqrt),
    "cbrt": Row(_cbrt_torch, lambda j: j.numpy.cbrt),
    "hypot": Row(lambda t: t.hypot, lambda j: j.numpy.hypot),
    # piecewise: the frameworks' own conventions at the kinks (abs'(0): PyTorch 0, JAX 1; ties: 1/2 each)
    "abs": Row(lambda t: t.abs, lambda j: j.numpy.abs),
    "sign": Row(lambda t: t.sign, lambda j: j.numpy.sign),
    "min": Row(lambda t: t.minimum, lambda j: j.numpy.minimum),
    "max": Row(lambda t: t.maximum, lambda j: j.numpy.maximum),
    # activations (relu'(0) is 0 in both, where adcli uses 1/2)
    "sigmoid": Row(lambda t: t.sigmoid, lambda j: j.nn.sigmoid),
    "relu": Row(lambda t: t.relu, lambda j: j.nn.relu),
    "softplus": Row(_softplus_torch, lambda j: j.nn.softplus),
}


def _key(p: Any) -> tuple[Any, ...]:
    from adcli.core.arrays import key

    return key(p)


#: the structural (array) primitives: each function takes the node's payload last (an index's entries).
ARRAYS: dict[str, Row] = {
    "stack": Row(lambda t: lambda *a: t.stack(list(a[:-1])), lambda j: lambda *a: j.numpy.stack(list(a[:-1]))),
    "matmul": Row(lambda t: lambda x, y, p: t.matmul(x, y), lambda j: lambda x, y, p: j.numpy.matmul(x, y)),
    "transpose": Row(lambda t: lambda x, p: x.T if x.dim() == 2 else x, lambda j: lambda x, p: j.numpy.transpose(x)),
    "index": Row(lambda t: lambda x, p: x[_key(p)], lambda j: lambda x, p: x[_key(p)]),
    "sum": Row(lambda t: lambda x, p: t.sum(x), lambda j: lambda x, p: j.numpy.sum(x)),
    "mean": Row(lambda t: lambda x, p: t.mean(x), lambda j: lambda x, p: j.numpy.mean(x)),
    "prod": Row(lambda t: lambda x, p: t.prod(x), lambda j: lambda x, p: j.numpy.prod(x)),
    "norm": Row(lambda t: lambda x, p: t.linalg.norm(x), lambda j: lambda x, p: j.numpy.linalg.norm(x)),
    "dot": Row(lambda t: lambda x, y, p: t.dot(x, y), lambda j: lambda x, y, p: j.numpy.dot(x, y)),
    "outer": Row(lambda t: lambda x, y, p: t.outer(x, y), lambda j: lambda x, y, p: j.numpy.outer(x, y)),
    "tr": Row(lambda t: lambda x, p: t.trace(x), lambda j: lambda x, p: j.numpy.trace(x)),
    "det": Row(lambda t: lambda x, p: t.linalg.det(x), lambda j: lambda x, p: j.numpy.linalg.det(x)),
    "inv": Row(lambda t: lambda x, p: t.linalg.inv(x), lambda j: lambda x, p: j.numpy.linalg.inv(x)),
    "logdet": Row(lambda t: lambda x, p: t.logdet(x), lambda j: lambda x, p: j.numpy.linalg.slogdet(x)[1]),
    "logsumexp": Row(
        lambda t: lambda x, p: t.logsumexp(x.reshape(-1), 0), lambda j: lambda x, p: j.scipy.special.logsumexp(x)
    ),
    "softmax": Row(lambda t: lambda x, p: t.softmax(x, -1), lambda j: lambda x, p: j.nn.softmax(x, axis=-1)),
    "diag": Row(lambda t: lambda x, p: t.diag(x), lambda j: lambda x, p: j.numpy.diag(x)),
    "amax": Row(lambda t: lambda x, p: t.amax(x), lambda j: lambda x, p: j.numpy.max(x)),
    "amin": Row(lambda t: lambda x, p: t.amin(x), lambda j: lambda x, p: j.numpy.min(x)),
}

INSTALL = {"torch": "pip install 'adcli[torch]'", "jax": "pip install 'adcli[jax]'"}


class MissingError(Exception):
    """The framework cannot be imported here; the message is the note compare shows."""


@dataclass
class Answer:
    """A framework's value and Jacobian at the point, and what it took."""

    framework: str
    version: str
    value: list[float]
    jacobian: list[list[float]]
    vjps: int  # reverse passes: one per output (PyTorch in turn, JAX as one vmapped pullback)
    ops: int  # framework calls made by the replay


def check(names: Sequence[str]) -> list[str]:
    """The frameworks of `--with`, each known and named once (usage_error otherwise)."""
    for name in names:
        if name not in PEERS:
            raise AdcliError("usage_error", f"--with {name!r}: adcli knows {', '.join(PEERS)}")
    if len(set(names)) != len(names):
        raise AdcliError("usage_error", "--with names each framework once")
    return list(names)


def load(name: str) -> Any:
    """The framework's module, imported now (they take seconds to import); MissingError when absent."""
    check([name])  # only the two known names are ever imported
    try:
        module = importlib.import_module(name)
        if name == "jax":
            importlib.import_module("jax.numpy")
            importlib.import_module("jax.nn")
    except ModuleNotFoundError as exc:
        if exc.name in (name, None) or str(exc.name).split(".")[0] == name:
            raise MissingError(f"{name} is not installed: {INSTALL[name]}") from None
        raise MissingError(f"{name} could not be imported ({exc}): {INSTALL[name]}") from None
    except (ImportError, OSError) as exc:  # a broken installation: a missing shared library, a bad build
        raise MissingError(f"{name} could not be imported ({exc}): {INSTALL[name]}") from None
    return module


def functions(name: str, module: Any) -> dict[str, Fn]:
    """The translation table resolved for one framework: adcli name -> the framework's function."""
    rows = {**TABLE, **ARRAYS}
    return {op: (row.torch if name == "torch" else row.jax)(module) for op, row in rows.items()}


def replay(tape: Any, ops: Mapping[str, Fn], inputs: Sequence[Any], constant: Callable[[float], Any]) -> list[Any]:
    """adcli's tape, slot by slot, in the framework: a loop, never recursion, never eval."""
    vals: list[Any] = list(inputs) + [None] * (len(tape.nodes) - len(inputs))
    for s in range(tape.n_inputs, tape.first_op):
        vals[s] = constant(float(tape.nodes[s].payload))
    prims, args, nodes = tape.prims, tape.args, tape.nodes
    for s in range(tape.first_op, len(vals)):
        if prims[s].rules is not None:  # structural: the payload goes last
            vals[s] = ops[prims[s].name](*[vals[j] for j in args[s]], nodes[s].payload)
        else:
            vals[s] = ops[prims[s].name](*[vals[j] for j in args[s]])
    return [vals[o] for o in tape.outputs]


def _torch_arrays(torch: Any, tape: Any, point: Mapping[str, Any], wrt: Sequence[str]) -> tuple[list[Any], list[Any]]:
    """Arrays: leaves are float64 tensors; one backward pass per output entry, rows flattened as adcli's."""
    import numpy as np

    f64, wanted = torch.float64, set(wrt)
    leaves = {
        n: torch.tensor(np.asarray(point.get(n, 0.0), dtype=float), dtype=f64, requires_grad=n in wanted)
        for n in tape.names
    }
    outputs = replay(
        tape, functions("torch", torch), [leaves[n] for n in tape.names], lambda v: torch.tensor(v, dtype=f64)
    )
    columns = [leaves[w] for w in wrt]
    rows = []
    for y in outputs:
        flat = y.reshape(-1)
        for e in range(flat.numel()):
            grads = (
                torch.autograd.grad(flat[e], columns, retain_graph=True, allow_unused=True)
                if y.requires_grad
                else [None] * len(columns)
            )
            pieces = [
                np.zeros(c.numel()) if g is None else g.detach().numpy().reshape(-1)
                for g, c in zip(grads, columns, strict=True)
            ]
            rows.append(list(np.concatenate(pieces)) if pieces else [])
    values = [y.detach().numpy().tolist() if y.dim() else float(y.detach()) for y in outputs]
    return values, rows


def _torch(torch: Any, tape: Any, point: Mapping[str, float], wrt: Sequence[str]) -> tuple[list[Any], list[Any]]:
    if tape.shapes is not None:
        return _torch_arrays(torch, tape, point, wrt)
    f64, wanted = torch.float64, set(wrt)
    leaves = {n: torch.tensor(float(point.get(n, 0.0)), dtype=f64, requires_grad=n in wanted) for n in tape.names}
    outputs = replay(
        tape, functions("torch", torch), [leaves[n] for n in tape.names], lambda v: torch.tensor(v, dtype=f64)
    )
    columns = [leaves[w] for w in wrt]
    rows = []
    for y in outputs:  # reverse mode, one backward pass per output (what torch.autograd.functional.jacobian does)
        grads = torch.autograd.grad(y, columns, retain_graph=True, allow_unused=True) if y.requires_grad else []
        rows.append([0.0 if g is None else float(g) for g in grads] or [0.0] * len(wrt))
    return [float(y.detach()) for y in outputs], rows


def _jax(jax: Any, tape: Any, point: Mapping[str, float], wrt: Sequence[str]) -> tuple[list[Any], list[Any]]:
    jnp, ops = jax.numpy, functions("jax", jax)
    column = {w: k for k, w in enumerate(wrt)}
    fixed = {n: jnp.asarray(float(point.get(n, 0.0)), dtype=jnp.float64) for n in tape.names if n not in column}

    def f(*xs: Any) -> Any:  # one scalar argument per column: no gather per input, unlike x[k] of one array
        inputs = [xs[column[n]] if n in column else fixed[n] for n in tape.names]
        outputs = replay(tape, ops, inputs, lambda v: jnp.asarray(v, dtype=jnp.float64))
        return jnp.stack([jnp.asarray(y, dtype=jnp.float64) for y in outputs])

    if not wrt:
        return [float(v) for v in f()], [[] for _ in tape.outputs]
    x0 = [jnp.asarray(float(point.get(w, 0.0)), dtype=jnp.float64) for w in wrt]
    value, pullback = jax.vjp(f, *x0)  # jax.jacrev, written out so the value comes from the same trace
    columns = jax.vmap(pullback)(jnp.eye(len(value), dtype=jnp.float64))  # n arrays, one entry per output
    return [float(v) for v in value], [[float(c[i]) for c in columns] for i in range(len(value))]


def _jax_arrays(jax: Any, tape: Any, point: Mapping[str, Any], wrt: Sequence[str]) -> tuple[list[Any], list[Any]]:
    """Arrays: one argument per wrt variable in its shape; jax.jacrev over the outputs (a list of arrays),
    each output's block flattened row-major against each variable's entries, as adcli's rows are."""
    import numpy as np

    jnp, ops = jax.numpy, functions("jax", jax)
    column = {w: k for k, w in enumerate(wrt)}

    def array(n: str) -> Any:
        return jnp.asarray(np.asarray(point.get(n, 0.0), dtype=float), dtype=jnp.float64)

    fixed = {n: array(n) for n in tape.names if n not in column}

    def f(*xs: Any) -> list[Any]:
        inputs = [xs[column[n]] if n in column else fixed[n] for n in tape.names]
        outputs = replay(tape, ops, inputs, lambda v: jnp.asarray(v, dtype=jnp.float64))
        return [jnp.asarray(y, dtype=jnp.float64) for y in outputs]

    x0 = [array(w) for w in wrt]
    outputs = f(*x0)
    blocks = jax.jacrev(f, argnums=tuple(range(len(wrt))))(*x0) if wrt else [() for _ in outputs]
    rows: list[Any] = []
    for y, block in zip(outputs, blocks, strict=True):
        n = int(np.size(y))
        pieces = [np.asarray(b, dtype=float).reshape(n, -1) for b in block]
        rows += np.concatenate(pieces, axis=1).tolist() if pieces else [[] for _ in range(n)]
    values = [np.asarray(y, dtype=float).tolist() if np.ndim(y) else float(y) for y in outputs]
    return values, rows


def _x64(jax: Any) -> Any:
    """float64 for the duration of the replay: the scoped switch where JAX has it, else the global one."""
    scoped = getattr(jax, "enable_x64", None)
    if scoped is not None:
        return scoped(True)
    jax.config.update("jax_enable_x64", True)
    return contextlib.nullcontext()


def jacobian(name: str, module: Any, tape: Any, point: Mapping[str, float], wrt: Sequence[str]) -> Answer:
    """The framework's value and Jacobian of the tape's outputs with respect to wrt, at the point."""
    if name == "torch":
        value, rows = _torch(module, tape, point, wrt)
    else:
        with _x64(module):
            value, rows = (_jax_arrays if tape.shapes is not None else _jax)(module, tape, point, wrt)
    ops = len(tape.nodes) - tape.first_op
    return Answer(name, str(module.__version__), value, rows, len(tape.outputs), ops)


#: seconds after which timed() stops repeating (eager JAX takes ~0.3 ms an operation, PyTorch ~10 µs)
BUDGET = 1.0


def timed(
    name: str, module: Any, tape: Any, point: Mapping[str, float], wrt: Sequence[str], repeat: int
) -> tuple[Answer, float, float]:
    """jacobian() once to warm up, then up to `repeat` times (fewer once BUDGET seconds are spent).

    Returns the answer, the median of the warm runs, and the first run's time: the first call pays for
    each primitive's first use (eager JAX compiles every operation for its shape and dtype: ~2 s for
    the survey's example, against ~20 ms warm). The import is not timed.
    """
    started = time.perf_counter()
    answer = jacobian(name, module, tape, point, wrt)
    first = time.perf_counter() - started
    times: list[float] = []
    while len(times) < max(1, repeat) and (not times or sum(times) <= BUDGET):
        started = time.perf_counter()
        answer = jacobian(name, module, tape, point, wrt)
        times.append(time.perf_counter() - started)
    return answer, statistics.median(times), first


def _pieces(tape: Any, point: Mapping[str, Any], wrt: Sequence[str]) -> tuple[list[float], dict[str, Any]]:
    """The flattened entries of the wrt variables (x₀ of the framework's hessian) and, per variable, how to
    read it back out of x: an index for a scalar tape, a (start, stop, shape) slice on an array tape."""
    import numpy as np

    if tape.shapes is None:
        return [float(point.get(w, 0.0)) for w in wrt], {w: k for k, w in enumerate(wrt)}
    flat, where, start = [], {}, 0
    for w in wrt:
        entries = np.ravel(np.asarray(point.get(w, 0.0), dtype=float)).tolist()
        where[w] = (start, start + len(entries), np.shape(point.get(w, 0.0)))
        flat, start = flat + entries, start + len(entries)
    return flat, where


def hessian(name: str, module: Any, tape: Any, point: Mapping[str, Any], wrt: Sequence[str]) -> Answer:
    """The framework's gradient and Hessian of the tape's one output (torch.func.hessian, jax.hessian; no jit).
    On an array tape x is the wrt variables' entries flattened (row-major, as `adcli hess` labels them)."""
    import numpy as np

    flat, where = _pieces(tape, point, wrt)
    if name == "torch":
        torch = module
        f64 = torch.float64
        array = lambda v: torch.tensor(np.asarray(v, dtype=float), dtype=f64)  # noqa: E731
        x0 = torch.tensor(flat, dtype=f64)
    else:
        jnp = module.numpy
        array = lambda v: jnp.asarray(np.asarray(v, dtype=float), dtype=jnp.float64)  # noqa: E731
    fixed: dict[str, Any] = {}  # the other variables' values, made below (JAX's inside its float64 scope)
    ops = functions(name, module)

    def read(x: Any, n: str) -> Any:
        at = where[n]
        return x[at] if isinstance(at, int) else x[at[0] : at[1]].reshape(at[2])

    def f(x: Any) -> Any:
        inputs = [read(x, n) if n in where else fixed[n] for n in tape.names]
        return replay(tape, ops, inputs, array)[0]

    if name == "torch":
        from torch.func import grad as tgrad
        from torch.func import hessian as thessian

        fixed.update({n: array(point.get(n, 0.0)) for n in tape.names if n not in where})
        gradient, matrix = tgrad(f)(x0), thessian(f)(x0)
    else:
        with _x64(module):
            x0 = module.numpy.asarray(flat, dtype=module.numpy.float64)
            fixed.update({n: array(point.get(n, 0.0)) for n in tape.names if n not in where})
            gradient, matrix = module.grad(f)(x0), module.hessian(f)(x0)
    rows = [[float(e) for e in row] for row in np.asarray(matrix.tolist(), dtype=float).reshape(len(flat), -1)]
    answer = Answer(
        name, str(module.__version__), [float(g) for g in np.ravel(gradient.tolist())], rows, len(flat), len(tape.nodes)
    )
    answer.ops = len(tape.nodes) - tape.first_op
    return answer
