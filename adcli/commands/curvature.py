"""The Hessian's result and verdict (curvature: minimum, maximum, saddle), shared by every path of `adcli hess`.

`Hessian` is the plain data the renderers print; `critical` and `classify` give the verdict from the
gradient and the eigenvalues (block by block); `refuse_kinks`, `subnormal` and `finite` are the checks
that make a Hessian that does not exist an error, and one that lost digits a warning, in every mode.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError, AdcliWarning
from adcli.core.tape import Tape

MODES = ("auto", "forward-over-reverse", "forward-over-forward", "numeric", "symbolic")
MAX_INPUTS = 2000  # a Hessian of more inputs has over 4 million entries: use --hvp
GTOL = 1e-8  # a critical point: every |∂f/∂xᵢ| <= GTOL·Σₖ|Hᵢₖ|·|xₖ|
ETOL = 1e-10  # an eigenvalue of D·H·D is 0 when |μ| <= ETOL·max|μ| (numeric mode: of H, plus its error estimate)
NOISE = 64 * 2.0**-52  # a diagonal entry this small beside the largest entry may be a rounded 0


@dataclass
class Hessian:
    """What `adcli hess` found (the JSON object of the README's hess section)."""

    input: str
    read_as: str
    wrt: list[str]
    at: dict[str, float]
    mode: str
    value: float
    gradient: list[float]
    hessian: list[list[float]] | None = None
    eigenvalues: list[float] | None = None
    verdict: str | None = None
    classification: str | None = None
    critical_point: bool = False
    gradient_norm: float = 0.0
    positive_definite: bool | None = None
    tolerance: dict[str, float] = field(default_factory=dict)
    hvp: list[float] | None = None
    vector: dict[str, float] | None = None
    error_estimate: list[list[float]] | None = None
    sweeps: int = 0
    cost: dict[str, int] = field(default_factory=dict)
    warnings: list[AdcliWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    labels: list[str] | None = None  # array variables: one label an entry (w[0], A[0,1]), row-major
    shapes: dict[str, list[int]] | None = None

    @property
    def names(self) -> list[str]:
        """The Hessian's row and column labels: the variables, or with arrays their flattened entries."""
        return self.labels if self.labels is not None else self.wrt

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in ("input", "read_as", "wrt")}
        out["at"] = {k: _listed(v) for k, v in self.at.items()}
        out.update(mode=self.mode, value=self.value)
        if self.labels is not None:
            out.update(labels=self.labels, shapes=self.shapes)
        out.update(gradient=self.gradient, hessian=self.hessian, eigenvalues=self.eigenvalues)
        out.update(verdict=self.verdict, classification=self.classification, critical_point=self.critical_point)
        out.update(gradient_norm=self.gradient_norm, positive_definite=self.positive_definite)
        out["tolerance"] = dict(self.tolerance)
        if self.hvp is not None:
            out.update(vector={k: _listed(v) for k, v in (self.vector or {}).items()}, hvp=self.hvp)
        if self.error_estimate is not None:
            out["error_estimate"] = self.error_estimate
        out.update(sweeps=self.sweeps, cost=dict(self.cost))
        out["warnings"] = [w.to_dict() for w in self.warnings]
        out["notes"] = list(self.notes)
        return out


def _listed(v: Any) -> Any:
    """An array of the point (issue 12) as nested lists for JSON; numbers as they are."""
    return v.tolist() if isinstance(v, np.ndarray) else v


# ---- checks every hess path shares -------------------------------------------------------------


def refuse_kinks(tape: Tape, vals: Sequence[Any], warnings: list[AdcliWarning], order: int = 2, fails: int = 1) -> None:
    """A kink on the path of a derivative of order >= 2 is an error naming the node and the order.

    The first derivative already jumps there (abs at 0, relu at 0, max at a tie), so no second one
    exists; at a domain's edge with an infinite slope (sqrt at 0) it is a domain_error, and an infinite
    slope inside the domain (cbrt at 0, hypot at the origin) is nonfinite.
    """
    for w in warnings:
        if w.kind != "nondifferentiable":
            continue
        node, at = w.details.get("node"), w.details.get("at")
        refused = w.details.get("refuse")  # the table's kinds: 0^0 along its exponent is a domain_error
        infinite = refused == "nonfinite"
        edge = "outside the domain" in f"{w.details.get('left')} {w.details.get('right')}"
        if refused == "domain_error":
            kind, reason = "domain_error", str(w.details.get("convention", "")).removeprefix("none: ")
        elif infinite:
            kind = "domain_error" if edge else "nonfinite"
            cone = "cone point" in str(w.details.get("convention"))  # hypot at the origin: bounded, no slope
            reason = "a cone point (no derivative in any direction)" if cone else "an infinite slope"
            reason = "the edge of its domain, where its derivative is infinite" if edge else reason
        elif "ties" in w.details:  # max(x)/min(x) of an array: several entries tie for the extreme
            kind, reason = "nondifferentiable", f"a kink ({w.details['ties']} entries tie for the extreme)"
        elif w.details.get("left") is None:  # norm(x) at 0: a cone point, no gradient
            kind, reason = "nondifferentiable", "a cone point (slope 1 in every direction: no gradient)"
        else:
            kind = "nondifferentiable"
            reason = f"a kink (left derivative {w.details.get('left')}, right {w.details.get('right')})"
        message = f"{node}{'' if at is None else f' at {at}'} is {reason}: no derivative of order {order} there" + (
            " (it fails from order 1)"
            if fails == 1
            else " (the gradient exists; the pieces that meet here differ at order 2)"
        )
        slot = _kinked_slot(tape, vals, str(node))
        if slot is not None:
            raise tape.error(kind, message, slot, warnings=[x for x in warnings if x is not w])
        raise AdcliError(kind, message)


TINY = float(np.finfo(float).tiny)  # the smallest normal float: below it, fewer than 53 significant bits


def subnormal(tape: Tape, vals: Sequence[Any], warnings: list[AdcliWarning]) -> None:
    """An intermediate value below the smallest normal float (hypot(z^2, z^2) at z = 6e-161: z^2 = 3.6e-321)
    carries few significant bits, and derivatives that divide by it (hypot's x/hypot) can be off in their
    4th digit: an `inaccurate` warning naming the node and the bits left, never a silent number."""
    for s in range(tape.first_op, len(vals)):
        v = vals[s]
        if isinstance(v, float) and not 0.0 < abs(v) < TINY:  # one number: without numpy's per-call cost
            continue
        if v is None:
            continue
        small = np.abs(v)
        hit = (small > 0) & (small < TINY)
        if not np.any(hit):
            continue
        least = float(np.min(np.where(hit, small, np.inf)))
        bits = max(int(np.log2(least / 2.0**-1074)) + 1, 1)
        message = (
            f"{tape.text(s)} = {least:.3g} is subnormal (below {TINY:.3g}): it carries about {bits} significant bits, "
            f"not 53, so the derivatives may be off by about {2.0**-bits:.0e} relative"
        )
        warnings.append(AdcliWarning("inaccurate", message, {"node": tape.text(s), "bits": bits}))
        return


def _kinked_slot(tape: Tape, vals: Sequence[Any], text: str) -> int | None:
    """The slot a kink warning names (for its place in the text), or None."""
    for s in range(tape.first_op, len(tape.nodes)):
        prim = tape.prims[s]
        if prim is not None and prim.name in ("amax", "amin", "norm") and tape.text(s) == text:
            return s  # an array reduction's kink (a tie, norm at 0): its warning came from this slot
        if prim is None or not prim.kinks or tape.text(s) != text:
            continue
        args = [vals[j] for j in tape.args[s]]
        with np.errstate(all="ignore"):
            if any(bool(np.any(kink.where(*args))) for kink in prim.kinks):
                return s
    return None


# ---- the verdict --------------------------------------------------------------------------------


def classify(result: Hessian, matrix: np.ndarray, slack: float = 0.0) -> None:
    """Eigenvalues and the verdict: at a critical point minimum, maximum, saddle or degenerate; elsewhere
    "not a critical point", with whether the Hessian is positive definite (f is convex near the point).

    The signs come from the Hessian scaled by its diagonal, D·H·D with dᵢ = 1/√|Hᵢᵢ|: the same signs by
    Sylvester's law of inertia, but a badly scaled minimum (Brown's: eigenvalues 2 and 2e12; Powell's: a
    ratio of 1e-18, below the rounding of H's own eigenvalues) keeps its small eigenvalue clear of the
    noise, while an exact 0 stays at rounding level. Numeric mode, whose entries carry an error estimate
    that a scaling would magnify, tests the eigenvalues of H itself against that estimate."""
    symmetric = (matrix + matrix.T) / 2
    blocks = _blocks(symmetric)
    eigenvalues = np.sort(np.concatenate([np.linalg.eigvalsh(symmetric[np.ix_(b, b)]) for b in blocks] or [[]]))
    result.eigenvalues = [float(v) for v in eigenvalues]
    if slack > 0:
        signs = eigenvalues
    else:
        signs = np.concatenate([_scaled_eigenvalues(symmetric[np.ix_(b, b)]) for b in blocks] or [[]])
    largest = float(np.abs(signs).max()) if len(signs) else 0.0
    zero = ETOL * largest + slack
    result.tolerance["eigenvalue"] = zero
    positive, negative = signs > zero, signs < -zero
    result.positive_definite = bool(positive.all()) if len(signs) else False
    if not result.critical_point:
        result.verdict, result.classification = "not a critical point", None
        return
    if len(signs) and positive.all():
        word = "minimum"
    elif len(signs) and negative.all():
        word = "maximum"
    elif positive.any() and negative.any():
        word = "saddle"
    else:
        word = "degenerate"
    result.verdict = result.classification = word


def _blocks(symmetric: np.ndarray) -> list[np.ndarray]:
    """The index sets of the diagonal blocks of a symmetric matrix (the connected components of its
    nonzeros): its eigenvalues are the blocks' together, so extended Rosenbrock at n = 1000 takes 500
    decompositions of 2 × 2 instead of one of 1000 × 1000 (O(n³): seconds)."""
    n = len(symmetric)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, k in zip(*np.nonzero(symmetric), strict=True):
        a, b = root(int(i)), root(int(k))
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return [np.array(g) for g in groups.values()]


def _scaled_eigenvalues(symmetric: np.ndarray) -> np.ndarray:
    """The eigenvalues of D·H·D, dᵢ = 1/√|Hᵢᵢ|; a diagonal entry at rounding level of the largest entry
    (which may be a 0 computed inexactly) is not magnified: its row is scaled by the largest instead."""
    if not len(symmetric):
        return np.zeros(0)
    top = float(np.abs(symmetric).max())
    if top == 0.0 or not math.isfinite(top):
        return np.linalg.eigvalsh(symmetric)
    diagonal = np.abs(np.diag(symmetric))
    d = 1.0 / np.sqrt(np.where(diagonal > NOISE * top, diagonal, top))
    return np.linalg.eigvalsh(symmetric * d[:, None] * d[None, :])


def critical(
    result: Hessian, slack: float = 0.0, matrix: np.ndarray | None = None, x: np.ndarray | None = None
) -> None:
    """Whether the gradient is 0: |∂f/∂xᵢ| <= GTOL·Σₖ|Hᵢₖ|·|xₖ| (plus numeric mode's own error estimate).

    At a float point next to an exact critical point x*, ∇f ≈ H·(x − x*) with |xₖ − x*ₖ| <= ε|xₖ|: the
    bound scales with f and with each variable, so a tiny function (1e-12·(x² + y²) at x = 1e-3,
    exp(−x² − y²) at (5, 5)) is not called critical for a gradient that is small only in absolute
    terms, and a badly scaled one (Powell's, x₁ ~ 1e-5 beside x₂ ~ 9) gets a bound per variable."""
    g = np.asarray(result.gradient, dtype=float)
    top = float(np.abs(g).max(initial=0.0))
    result.gradient_norm = top * float(np.linalg.norm(g / top)) if top > 0 else 0.0  # scaled: no overflow
    if x is None:  # scalar variables: their values at the point (arrays pass their flattened entries)
        at = [result.at.get(w) for w in result.wrt]
        x = np.array([abs(v) if isinstance(v, (int, float)) else 0.0 for v in at], dtype=float)
    x = np.abs(x)
    reach = np.abs(matrix) @ x if matrix is not None and len(x) == len(g) else np.zeros(len(g))
    bounds = GTOL * reach + slack
    result.tolerance["gradient"] = float(bounds.max(initial=slack))
    result.critical_point = bool(np.all(np.abs(g) <= bounds))


def finite(matrix: np.ndarray, result: Hessian) -> None:
    bad = np.argwhere(~np.isfinite(matrix))
    if len(bad):
        i, k = (int(v) for v in bad[0])
        raise AdcliError("nonfinite", f"the Hessian entry d2f/d{result.names[i]}d{result.names[k]} is not finite")
    if not np.all(np.isfinite(result.gradient)):
        raise AdcliError("nonfinite", "the gradient is not finite")
