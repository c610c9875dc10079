"""The matrix simplifier: shape-aware constructors that keep derivative graphs in a textbook form.

Elementwise products and quotients are kept as monomials (a coefficient times factors with whole
exponents: 2*n*v/n is 2*v), sums as coefficients times terms (like terms combine; A@x + A'@x is
collected into (A + A')@x), and products by `@` and transposes follow the rules of the Matrix
Cookbook: (A')' = A, (A@B)' = B'@A' where that removes a transpose, scalars move out of `@`,
`v@M` for a vector v is M'@v, I@M = M. Every rule is an identity of numpy's semantics for the
shapes involved, so a simplified graph evaluates to the same numbers as the one it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from adcli.core import exact as q
from adcli.core.graph import Node, const, make, topo_order
from adcli.core.printing import to_text
from adcli.modes.symbolic.matrix import literals as lit
from adcli.modes.symbolic.matrix.forms import is_identity, size
from adcli.modes.symbolic.matrix.shapes import Shapes

Coef = q.Rational | float
Monomial = tuple[Coef, list[tuple[Node, int]]]


def _value(node: Node) -> Coef | None:
    """A constant's exact value (a float for pi and e would lose them: those stay factors)."""
    return node.exact if node.op == "const" and node.exact is not None else None


def _number(c: Coef) -> Node:
    return const(c if isinstance(c, float) else Fraction(c))


class Algebra:
    """Constructors that simplify as they build; `simplify` rebuilds a whole graph through them."""

    def __init__(self, shapes: Shapes, canonical: bool = False) -> None:
        self.shape = shapes
        #: terms and factors in a canonical order (by their text), so that equal expressions written in
        #: different orders become one node: for proofs (adcli check); printing keeps the order as derived
        self.canonical = canonical
        self.texts: dict[Node, str] = {}
        self.memo: dict[Node, Node] = {}
        self.ones_like: dict[tuple, Node] = {}  # shape -> a variable of that shape, for ones(x)

    # ---- monomials: elementwise products ------------------------------------------------------
    def monomial(self, node: Node) -> Monomial:
        """node as coefficient × Π factorᵏ (walking mul, div, neg and whole powers)."""
        coef: Coef = 1
        factors: dict[Node, int] = {}
        stack: list[tuple[Node, int]] = [(node, 1)]
        while stack:
            n, k = stack.pop()
            value = _value(n)
            if value is not None:
                coef = coef * (value if k == 1 else Fraction(1) / value if value != 0 else float("inf"))
            elif n.op == "neg":
                coef, stack = -coef, stack + [(n.args[0], k)]
            elif n.op == "mul":
                stack += [(n.args[1], k), (n.args[0], k)]
            elif n.op == "div":
                stack += [(n.args[1], -k), (n.args[0], k)]
            elif n.op == "pow" and _whole(n.args[1]) and n.args[0].op not in ("mul", "div", "neg"):
                factors[n.args[0]] = factors.get(n.args[0], 0) + k * int(_value(n.args[1]))  # type: ignore[arg-type]
            else:
                factors[n] = factors.get(n, 0) + k
        return coef, [(f, k) for f, k in factors.items() if k != 0]

    def _sigmoids(self, factors: list[tuple[Node, int]]) -> list[tuple[Node, int]]:
        """exp(t)/(exp(t) + 1) and 1/(1 + exp(-t)) are sigmoid(t) (the table's overflow-free form)."""
        out = list(factors)
        for i, (base, k) in enumerate(factors):
            if k != -1 or base.op != "add":
                continue
            e = next((a for a in base.args if a.op == "exp"), None)
            one = next((a for a in base.args if _value(a) == 1), None)
            if e is None or one is None:
                continue
            if (e, 1) in out:
                out[out.index((e, 1))] = (make("sigmoid", e.args), 1)
                out[i] = (base, 0)
            elif e.args[0].op == "neg":
                out[i] = (make("sigmoid", (e.args[0].args[0],)), 1)
        for i, (base, k) in enumerate(out):
            if base.op == "sigmoid" and k == 1:
                flipped = make("exp", (self.neg(base.args[0]),))
                if (flipped, 1) in out:
                    out[out.index((flipped, 1))] = (make("sigmoid", flipped.args), 1)
                    out[i] = (base, 0)
        return [(f, k) for f, k in out if k != 0]

    def _no_ones(self, factors: list[tuple[Node, int]]) -> list[tuple[Node, int]]:
        """ones(x) times an array of x's shape is that array (a scalar adjoint, broadcast, met its partial)."""
        full = {self.shape(f) for f, k in factors if f.op != "ones"}
        return [(f, k) for f, k in factors if f.op != "ones" or self.shape(f) not in full]

    def product(self, coef: Coef, factors: list[tuple[Node, int]]) -> Node:
        """The node for a monomial: scalar factors first, then arrays; a quotient for negative exponents."""
        if coef == 0:
            return const(0)
        factors, coef = lit.spread(self, self._sigmoids(self._no_ones(factors)), coef)
        if self.canonical:
            factors.sort(key=lambda fk: self._text(fk[0]))
        factors.sort(key=lambda fk: 0 if self.shape(fk[0]) == () else 1)  # stable: otherwise as written
        up = [f if k == 1 else make("pow", (f, const(k))) for f, k in factors if k > 0]
        down = [f if k == -1 else make("pow", (f, const(-k))) for f, k in factors if k < 0]
        if coef < 0 and coef != -1 and up:  # -2*x, not -(2*x)
            top = make("mul", (_number(coef), _chain(up)))  # type: ignore[arg-type]
        elif coef < 0 and up:  # -y*(X @ w): the sign on the first factor
            top = _chain([make("neg", (up[0],)), *up[1:]])  # type: ignore[assignment]
        else:
            top = _chain(up)  # type: ignore[assignment]
            if top is None:
                top = _number(coef)
            elif coef != 1:
                top = make("mul", (_number(coef), top))
        bottom = _chain(down)
        return top if bottom is None else make("div", (top, bottom))

    def mul(self, *args: Node, distribute: bool = True) -> Node:
        coef: Coef = 1
        factors: dict[Node, int] = {}
        for a in args:
            c, fs = self.monomial(a)
            coef *= c
            for f, k in fs:
                factors[f] = factors.get(f, 0) + k
        kept = [(f, k) for f, k in factors.items() if k != 0]
        node = self.product(coef, kept)
        sums = [f for f, k in kept if k == 1 and f.op in ("add", "sub")]
        if distribute and sums and len(kept) > 1:  # s*(-y/s - c) is c*s - y: distributed when that is shorter
            rest = self.product(coef, [(f, k) for f, k in kept if f is not sums[0]])
            spread = self.add(*[self.mul(_number(c), rest, t) for c, t in self.terms(sums[0])])
            if self.canonical or size(spread) < size(node):  # a proof expands every product of sums
                return spread
        return node

    def div(self, a: Node, b: Node) -> Node:
        return self.mul(a, make("pow", (b, const(-1))))

    def neg(self, a: Node) -> Node:
        return self.mul(const(-1), a)

    def split(self, node: Node) -> tuple[Node, Node]:
        """(the scalar part, the array part) of a monomial: what may move out of `@` or `'`."""
        coef, factors = self.monomial(node)
        scalars = [(f, k) for f, k in factors if self.shape(f) == ()]
        arrays = [(f, k) for f, k in factors if self.shape(f) != ()]
        return self.product(coef, scalars), self.product(1, arrays)

    # ---- sums -----------------------------------------------------------------------------------
    def terms(self, node: Node) -> list[tuple[Coef, Node]]:
        out: list[tuple[Coef, Node]] = []
        stack: list[tuple[Node, Coef]] = [(node, 1)]
        while stack:
            n, sign = stack.pop()
            if n.op in ("add", "sub"):
                stack += [(n.args[1], sign if n.op == "add" else -sign), (n.args[0], sign)]
                continue
            coef, factors = self.monomial(n)
            if self.canonical and len(factors) == 1 and factors[0][1] == 1 and factors[0][0].op in ("add", "sub"):
                stack.append((factors[0][0], sign * coef))  # -(a + b), 2*(a - b): a sum of its own
                continue
            core = self.product(1, factors)
            out.append((sign * coef, core))
        return out

    def add(self, *args: Node) -> Node:
        combined: dict[Node, Coef] = {}
        for a in args:
            for c, core in self.terms(a):
                combined[core] = combined.get(core, 0) + c
        items = [(c, core) for core, c in combined.items() if c != 0]
        items = lit.merge(self, items)
        if self.canonical:
            items.sort(key=lambda item: self._text(item[1]))
        if self.canonical:  # expanded: nothing collected, so that equal sums are term-for-term equal
            return self._sum_node(items)
        common = self._common(items)
        if common:  # c*A + c*B = c*(A + B), elementwise
            # each factor divided out on its own: a quotient by the product c = x*exp(x) was not taken
            # apart (monomial keeps (x*exp(x))^(-1) whole), so nothing cancelled and every sum of the
            # second pass nested deeper (hess of sum(x^2*exp(x)) in symbolic mode never ended)
            unit = [make("pow", (f, const(-k))) for f, k in common]
            inner = [(c, self.mul(core, *unit)) for c, core in items]
            return self.mul(self.product(1, common), self._sum_node(self._collect(inner)), distribute=False)
        return self._sum_node(self._collect(items))

    def _common(self, items: list[tuple[Coef, Node]]) -> list[tuple[Node, int]] | None:
        """The factors every term has (with their smallest positive exponent), when there are two terms or more."""
        if len(items) < 2:
            return None
        shared: dict[Node, int] | None = None
        for _, core in items:
            factors = {f: k for f, k in self.monomial(core)[1] if k > 0}
            shared = factors if shared is None else {f: min(k, factors[f]) for f, k in shared.items() if f in factors}
        return list(shared.items()) if shared else None

    def _collect(self, items: list[tuple[Coef, Node]]) -> list[tuple[Coef, Node]]:
        """Terms L1@R + L2@R (same right factor) become (L1 + L2)@R; the same for a common left factor."""
        for side in (1, 0):
            groups: dict[Node, list[int]] = {}
            for i, (_, core) in enumerate(items):
                if core.op == "matmul":
                    groups.setdefault(core.args[side], []).append(i)
            for common, members in groups.items():
                if len(members) < 2:
                    continue
                parts = [self.mul(_number(items[i][0]), items[i][1].args[1 - side]) for i in members]
                parts.sort(key=lambda p: (p.op == "transpose", p.op == "neg"))
                inner = self.add(*parts)
                merged = self.mm(inner, common) if side == 1 else self.mm(common, inner)
                first = members[0]
                kept = [i for i in range(len(items)) if i == first or i not in members]
                items = [(1, merged) if i == first else items[i] for i in kept]
                return self._collect(self.terms(self._sum_node(items)))
        return items

    def _sum_node(self, items: list[tuple[Coef, Node]]) -> Node:
        if not items:
            return const(0)
        first = next((i for i, (c, _) in enumerate(items) if c > 0), 0)  # s - y, not -y + s
        items = [items[first], *items[:first], *items[first + 1 :]]
        node: Node | None = None
        for c, core in items:
            if node is None:
                node = self.mul(_number(c), core)
            elif c < 0:
                node = make("sub", (node, self.mul(_number(-c), core)))
            else:
                node = make("add", (node, self.mul(_number(c), core)))
        return node  # type: ignore[return-value]

    # ---- products by @ and transposes ---------------------------------------------------------
    def mm(self, a: Node, b: Node) -> Node:
        if is_identity(a):
            return b
        if is_identity(b):
            return a
        special = self._transposed_chain(a, b) or self._unit(a, b)
        if special is not None:
            return special
        sa, aa = self.split(a)
        sb, ab = self.split(b)
        scalar = self.mul(sa, sb)
        if _value(scalar) == 0:
            return const(0)
        if _value(scalar) != 1:
            return self.mul(scalar, self.mm(aa, ab))
        if self.canonical and (a.op in ("add", "sub") or b.op in ("add", "sub")):  # (A + B) @ C = A@C + B@C
            return self._expand(self.mm, a, b)
        if len(self.shape(a)) == 1 and len(self.shape(b)) == 2:
            return self.mm(self.t(b), a)  # v @ M = M' @ v
        if b.op == "matmul" and (self.canonical or len(self.shape(b.args[1])) == 2):
            return self.mm(self.mm(a, b.args[0]), b.args[1])  # A @ (B @ C) = A @ B @ C
        return make("matmul", (a, b))

    def _transposed_chain(self, a: Node, b: Node) -> Node | None:
        """A' @ B' @ C' is (C @ B @ A)' (three transposes or more: one)."""
        if b.op == "transpose" and len(self.shape(b)) == 2:
            chain = self._chain_of(a) if a.op == "matmul" else [a]
            if len(chain) >= 2 and all(x.op == "transpose" for x in chain):
                inner = b.args[0]
                for x in reversed(chain):
                    inner = self.mm(inner, x.args[0])
                return make("transpose", (inner,))
        return None

    def _unit(self, a: Node, b: Node) -> Node | None:
        """M @ c·eₖ = c·M[:, k]; v @ c·eₖ = c·v[k]."""
        e = lit.unit(b)
        if e is not None and len(self.shape(a)) == 2:
            return self.mul(e[1], lit.column(self, a, e[0]))
        if e is not None and len(self.shape(a)) == 1:
            return self.mul(e[1], lit.index(self, a, (("i", e[0]),)))
        return None

    def outer(self, a: Node, b: Node) -> Node:
        """outer(M@u, v) = M @ outer(u, v) and outer(u, M@v) = outer(u, v) @ M' (common factors then collect)."""
        if a.op == "matmul" and len(self.shape(a.args[0])) == 2:
            return self.mm(a.args[0], self.outer(a.args[1], b))
        if b.op == "matmul" and len(self.shape(b.args[0])) == 2:
            return self.mm(self.outer(a, b.args[1]), self.t(b.args[0]))
        if self.canonical and (a.op in ("add", "sub") or b.op in ("add", "sub")):
            return self._expand(self.outer, a, b)
        sa, aa = self.split(a)
        sb, ab = self.split(b)
        scalar = self.mul(sa, sb)
        if _value(scalar) != 1:
            return self.mul(scalar, self.outer(aa, ab))
        return make("outer", (a, b))

    def _expand(self, product: Callable[[Node, Node], Node], a: Node, b: Node) -> Node:
        """A bilinear product of sums as the sum of the products of their terms (for proofs)."""
        left, right = self.terms(a), self.terms(b)
        return self.add(*[self.mul(_number(c * d), product(x, y)) for c, x in left for d, y in right])

    def t(self, a: Node) -> Node:
        """a' with (A')' = A, outer(a, b)' = outer(b, a), (c*A)' = c*A', (A'@B)' = B'@A."""
        if len(self.shape(a)) < 2 or is_identity(a):
            return a
        if a.op == "transpose":
            return a.args[0]
        if a.op == "outer":
            return make("outer", a.args[::-1])
        scalar, array = self.split(a)
        if _value(scalar) != 1:
            return self.mul(scalar, self.t(array))
        if a.op == "matmul":
            chain = self._chain_of(a)
            if all(len(self.shape(x)) == 2 for x in chain):
                before = 1 + sum(x.op == "transpose" for x in chain)
                if sum(x.op != "transpose" for x in chain) <= before:
                    out = self.t(chain[-1])
                    for x in reversed(chain[:-1]):
                        out = self.mm(out, self.t(x))
                    return out
        if a.op == "inv":
            inner = self.t(a.args[0])
            if inner.op != "transpose":
                return make("inv", (inner,))
        if a.op in ("add", "sub") and (self.canonical or all(x.op == "transpose" for _, x in self.terms(a))):
            return self.add(*[self.mul(_number(c), self.t(x)) for c, x in self.terms(a)])
        return make("transpose", (a,))

    def _text(self, node: Node) -> str:
        if node not in self.texts:
            self.texts[node] = to_text(node, truncate=True, limit=400)
        return self.texts[node]

    def _chain_of(self, a: Node) -> list[Node]:
        """The factors of a chain of @ (left-associated), left to right."""
        chain = []
        while a.op == "matmul":
            chain.append(a.args[1])
            a = a.args[0]
        chain.append(a)
        return chain[::-1]

    # ---- a whole graph ----------------------------------------------------------------------------
    def simplify(self, root: Node) -> Node:
        for node in topo_order([root]):
            if node in self.memo:
                continue
            args = tuple(self.memo[a] for a in node.args)
            build = self._RULES.get(node.op)
            if node.op == "index":
                self.memo[node] = lit.index(self, args[0], node.payload)
            elif build is not None:
                self.memo[node] = build(self, *args)
            else:
                self.memo[node] = make(node.op, args, node.payload) if args else node
        return self.memo[root]

    _RULES: dict[str, Callable[..., Node]] = {
        "add": add,
        "sub": lambda self, a, b: self.add(a, self.neg(b)),
        "mul": mul,
        "div": div,
        "neg": neg,
        "pow": lambda self, a, b: self.mul(make("pow", (a, b))) if _whole(b) else make("pow", (a, b)),
        "matmul": mm,
        "outer": outer,
        "transpose": t,
        "stack": lambda self, *items: lit.stack(self, items),
        "sum": lambda self, a: lit.total(self, a),
        "inv": lambda self, a: self.t(make("inv", a.args)) if a.op == "transpose" else make("inv", (a,)),
    }


def _whole(node: Node) -> bool:
    value = _value(node)
    return value is not None and not isinstance(value, float) and q.norm(value) == int(value) and abs(value) <= 64


def _chain(nodes: list[Node]) -> Node | None:
    out: Node | None = None
    for n in nodes:
        out = n if out is None else make("mul", (out, n))
    return out
