"""The matrix rules of symbolic reverse mode: each primitive's VJP written as matrix expressions.

Elementwise primitives take their partial derivatives from the primitive table (the same generic
rules the sweeps run on numbers): ū = unbroadcast(Ḡ ⊙ ∂f/∂u). Structural primitives have their VJP
here in the language of the Matrix Cookbook (the numeric VJP of adcli.core.arrays, written with
graph nodes; `vjp_text` there names the same rule): matmul's Ā = Ḡ@Bᵀ, B̄ = Aᵀ@Ḡ with numpy's vector
cases, tr's Ā = Ḡ·I, det's Ā = Ḡ·det(A)·inv(A)ᵀ, inv's Ā = -inv(A)ᵀ@Ḡ@inv(A)ᵀ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from adcli.core.arrays import key
from adcli.core.errors import AdcliError
from adcli.core.graph import Node, as_node, const, make
from adcli.core.primitives import TABLE
from adcli.modes.symbolic.matrix.algebra import Algebra
from adcli.modes.symbolic.matrix.forms import identity

Adjoints = list[Node | None]
MAX_SCATTER = 400  # entries of an indexed array whose adjoint is written out as a literal
_EDGE = {True: (("s", None, None), ("s", 0, 1)), False: (("s", 0, 1), ("s", None, None))}  # first column, first row


def _unsupported(what: str) -> AdcliError:
    return AdcliError(
        "usage_error", f"symbolic matrix calculus does not handle {what} yet: use grad or jac (reverse mode) here"
    )


class Rules:
    """VJPs over one Algebra (its shapes and simplifying constructors)."""

    def __init__(self, algebra: Algebra) -> None:
        self.alg = algebra
        self.shape = algebra.shape

    # ---- broadcasting -----------------------------------------------------------------------------
    def ones(self, like: Node) -> Node:
        """ones(x) for the simplest node of like's shape (a variable, if one has it)."""
        shape = self.shape(like)
        for name, s in self.shape.variables.items():
            if s == shape:
                return make("ones", (make("var", payload=name),))
        for name, s in self.shape.variables.items():  # a vector of ones: a variable's column or row
            if len(shape) == 1 and len(s) == 2 and shape[0] in s:
                key = (("s", None, None), ("i", 0)) if s[0] == shape[0] else (("i", 0), ("s", None, None))
                return make("ones", (make("index", (make("var", payload=name),), key),))
        for name, s in self.shape.variables.items():  # a column or row of ones: a variable's, transposed if need be
            want = shape[0] if len(shape) == 2 and shape[1] == 1 else shape[-1]
            if len(shape) == 2 and 1 in shape and len(s) == 2 and want in s:
                part = make("index", (make("var", payload=name),), _EDGE[s[0] == want])
                return make("ones", (part if (s[0] == want) == (shape[1] == 1) else self.alg.t(part),))
        return make("ones", (like,))

    def full(self, g: Node, like: Node) -> Node:
        """An adjoint at like's shape: a scalar one (broadcast by an elementwise rule) made explicit."""
        if self.shape(g) == self.shape(like):
            return g
        return self.alg.mul(g, self.ones(like))  # g broadcasts to like's shape (numpy's rule)

    def unbroadcast(self, g: Node, arg: Node) -> Node:
        """Sum g over the axes broadcasting added: sum(g) to a scalar, column sums to a row vector."""
        gs, target = self.shape(g), self.shape(arg)
        if gs == target or gs == ():
            return g
        if target == ():
            return make("sum", (g,))
        if len(target) == 1 and len(gs) == 2 and gs[1] == target[0]:
            column = make("index", (g,), (("s", None, None), ("i", 0)))
            return self.alg.mm(self.alg.t(g), self.ones(column))
        if len(target) == 2 and len(gs) == 2:
            return self._unbroadcast_matrix(g, target)
        raise _unsupported(f"broadcasting shape {self.shape(arg)} to {gs}")

    def _unbroadcast_matrix(self, g: Node, target: tuple[int, ...]) -> Node:
        """A column (n,1) or row (1,m) broadcast across a matrix: g @ ones(m×1), ones(1×n) @ g, or both.

        The ones are matrices shaped like a column or row of g (as numpy broadcasts them), so the sums
        stay matrix products of the Cookbook's kind and keep the argument's 2-D shape."""
        (n, m), out = self.shape(g), g
        if target[1] == 1 and m != 1:  # summed across each row: g @ ones((m, 1))
            row = make("index", (g,), (("s", 0, 1), ("s", None, None)))
            out = self.alg.mm(out, self.ones(self.alg.t(row)))
        if target[0] == 1 and n != 1:  # summed down each column: ones((1, n)) @ g
            column = make("index", (g,), (("s", None, None), ("s", 0, 1)))
            out = self.alg.mm(self.ones(self.alg.t(column)), out)
        return out

    # ---- the rules -----------------------------------------------------------------------------------
    def vjp(self, node: Node, g: Node, need: Sequence[bool]) -> Adjoints:
        rule = STRUCTURAL.get(node.op)
        if rule is not None:
            return rule(self, node, g, need)
        prim = TABLE.get(node.op)
        if prim is None or prim.rules is not None:
            raise _unsupported(f"{node.op}")
        out: Adjoints = []
        for k, (a, n) in enumerate(zip(node.args, need, strict=True)):
            if not n:
                out.append(None)
                continue
            partial = as_node(prim.partials[k](*node.args, node))  # type: ignore[arg-type]
            contribution = self.alg.mul(g, partial)
            if self.shape(a) != self.shape(node):  # a was broadcast: sum over the entries it was copied to
                contribution = self.unbroadcast(self.full(contribution, node), a)
            out.append(contribution)
        return out

    def matmul(self, node: Node, g: Node, need: Sequence[bool]) -> Adjoints:
        a, b = node.args
        ra, rb = len(self.shape(a)), len(self.shape(b))
        g = self.full(g, node)
        alg = self.alg
        ga = gb = None
        if need[0]:
            if ra == 2 and rb == 2:
                ga = alg.mm(g, alg.t(b))
            elif ra == 2:  # matrix @ vector
                ga = make("outer", (g, b))
            elif rb == 2:  # vector @ matrix
                ga = alg.mm(b, g)
            else:
                ga = alg.mul(g, b)
        if need[1]:
            if ra == 2:
                gb = alg.mm(alg.t(a), g)
            elif rb == 2:
                gb = make("outer", (a, g))
            else:
                gb = alg.mul(g, a)
        return [ga, gb]

    def reduce(self, node: Node, g: Node, need: Sequence[bool]) -> Adjoints:
        """sum, mean, norm, logsumexp: x̄ = Ḡ·∂y/∂x, an array shaped like x (a scalar Ḡ for sum)."""
        x, alg = node.args[0], self.alg
        if node.op == "sum":
            return [g]
        if node.op == "mean":
            return [alg.div(g, make("sum", (self.ones(x),)))]
        if node.op == "norm":
            return [alg.mul(g, alg.div(x, node))]
        if node.op == "logsumexp":
            spread = make("softmax", (x,)) if len(self.shape(x)) == 1 else make("exp", (make("sub", (x, node)),))
            return [alg.mul(g, spread)]
        if node.op == "prod":
            return [alg.mul(g, alg.div(node, x))]
        raise _unsupported(f"{node.op} (a max or min over entries: not differentiable at ties)")

    def matrix(self, node: Node, g: Node, need: Sequence[bool]) -> Adjoints:
        """tr, det, logdet, inv: the Matrix Cookbook's rules (2.5.1, 2.1.2, 2.2)."""
        a, alg = node.args[0], self.alg
        if node.op == "tr":
            return [alg.mul(g, identity(a))]
        if node.op == "det":
            return [alg.mul(g, node, alg.t(make("inv", (a,))))]
        if node.op == "logdet":
            return [alg.mul(g, alg.t(make("inv", (a,))))]
        inverse_t = alg.t(node)
        return [alg.neg(alg.mm(alg.mm(inverse_t, self.full(g, node)), inverse_t))]

    def vectors(self, node: Node, g: Node, need: Sequence[bool]) -> Adjoints:
        """dot(a, b), outer(a, b), softmax(x), diag(v)."""
        alg = self.alg
        if node.op == "dot":
            a, b = node.args
            return [alg.mul(g, b) if need[0] else None, alg.mul(g, a) if need[1] else None]
        if node.op == "outer":
            a, b = node.args
            g = self.full(g, node)
            return [alg.mm(g, b) if need[0] else None, alg.mm(alg.t(g), a) if need[1] else None]
        if node.op == "softmax":
            if len(self.shape(node)) != 1:
                raise _unsupported("softmax of a matrix (row by row)")
            return [alg.mul(node, alg.add(g, alg.neg(make("sum", (alg.mul(node, g),)))))]
        return [make("diag", (self.full(g, node),))]

    def layout(self, node: Node, g: Node, need: Sequence[bool]) -> Adjoints:
        """transpose, array literals, indexing (an entry scattered into a literal of zeros)."""
        if node.op == "transpose":
            return [self.alg.t(g)]
        if node.op == "ones":
            return [None]
        if node.op == "stack":
            g = self.full(g, node)
            return [self._pick(g, (("i", i),)) if n else None for i, n in enumerate(need)]
        return [self._scatter(node, g)]

    def _pick(self, g: Node, payload: tuple) -> Node:
        """Ḡ[payload]; a scalar Ḡ broadcasts, so each of its entries is itself. `full` makes a zero adjoint
        the scalar 0 (the monomial's coefficient 0), and 0[1] was an internal error in `hess --mode symbolic`
        of x[0]*sum(x[1:]), whose second pass sends 0 into a slice."""
        return g if self.shape(g) == () else make("index", (g,), payload)

    def _scatter(self, node: Node, g: Node) -> Node:
        """Ḡ scattered into zeros of the argument's shape, as a literal: entry i is Ḡ[its place] or 0."""
        shape = self.shape(node.args[0])
        if not all(isinstance(s, int) for s in shape) or int(np.prod(shape)) > MAX_SCATTER:
            raise _unsupported(f"indexing an array of symbolic or large shape {shape} (at most {MAX_SCATTER} entries)")
        g = self.full(g, node)
        taken = np.arange(int(np.prod(shape))).reshape(shape)[key(node.payload)]
        place = {int(flat): idx for idx, flat in np.ndenumerate(taken)}
        scalar = self.shape(node) == ()

        def entry(flat: int) -> Node:
            if flat not in place:
                return const(0)
            return g if scalar else self._pick(g, tuple(("i", int(i)) for i in place[flat]))

        def block(prefix: tuple[int, ...]) -> Node:
            if len(prefix) == len(shape):
                return entry(int(np.ravel_multi_index(prefix, shape)) if shape else 0)
            return make("stack", [block((*prefix, i)) for i in range(shape[len(prefix)])])  # type: ignore[arg-type]

        return block(())


STRUCTURAL: dict[str, Callable[[Rules, Node, Node, Sequence[bool]], Adjoints]] = {
    "matmul": Rules.matmul,
    **dict.fromkeys(("sum", "mean", "norm", "logsumexp", "prod", "amax", "amin"), Rules.reduce),
    **dict.fromkeys(("tr", "det", "logdet", "inv"), Rules.matrix),
    **dict.fromkeys(("dot", "outer", "softmax", "diag"), Rules.vectors),
    **dict.fromkeys(("transpose", "stack", "index", "ones"), Rules.layout),
}

#: the rule each structural primitive applies, in words, for --steps
RULE_NAMES: dict[str, str] = {
    "matmul": "product rule for @: Ā = Ḡ@Bᵀ, B̄ = Aᵀ@Ḡ",
    "transpose": "transpose rule: Ā = Ḡᵀ",
    "sum": "sum rule: x̄ = Ḡ·ones(x)",
    "mean": "mean rule: x̄ = Ḡ·ones(x)/n",
    "norm": "norm rule: x̄ = Ḡ·x/norm(x)",
    "logsumexp": "log-sum-exp rule: x̄ = Ḡ·softmax(x)",
    "prod": "product-of-entries rule: x̄ = Ḡ·prod(x)/x",
    "tr": "trace rule: ∂tr(A)/∂A = I",
    "det": "determinant rule: ∂det(A)/∂A = det(A)·inv(A)ᵀ",
    "logdet": "log-determinant rule: ∂logdet(A)/∂A = inv(A)ᵀ",
    "inv": "inverse rule: d inv(A) = -inv(A)@dA@inv(A)",
    "dot": "dot rule: ā = Ḡ·b, b̄ = Ḡ·a",
    "outer": "outer rule: ā = Ḡ@b, b̄ = Ḡᵀ@a",
    "softmax": "softmax rule: x̄ = s ⊙ (Ḡ - sum(s ⊙ Ḡ))",
    "diag": "diag rule: v̄ = diag(Ḡ)",
    "stack": "array literal: item k's adjoint is Ḡ[k]",
    "index": "indexing: Ḡ scattered into zeros",
}


def rule_name(op: str) -> str:
    if op in RULE_NAMES:
        return RULE_NAMES[op]
    return "elementwise chain rule: ū = Ḡ ⊙ ∂f/∂u (summed over broadcast axes)"
