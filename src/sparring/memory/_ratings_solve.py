"""Maximum-a-posteriori Bradley–Terry fit with a pseudo-count prior (pure Python).

The model: item ``i`` has log-strength ``θ_i`` and beats ``j`` with probability
``σ(θ_i - θ_j)``. The prior adds, for every item, ``prior`` virtual tied battles (``prior / 2``
wins and ``prior / 2`` losses) against a fixed reference item with ``θ = 0``. The objective is
then strictly concave, so its maximum exists and is unique even when an item wins every battle or
the comparison graph is disconnected; items that never battled sit at ``θ = 0``.

The solver is Newton's method with a backtracking (Armijo) line search, which converges from any
start on a strictly concave objective, quadratically near the maximum. The Hessian is
block-diagonal over the connected components of the comparison graph, so each component is solved
on its own, its Newton system by dense Cholesky up to `DENSE_MAX_ITEMS` items and by
Jacobi-preconditioned conjugate gradients (sparse, one pass over the pairs per step) beyond.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["DENSE_MAX_ITEMS", "Fit", "centre", "fit_strengths"]

DENSE_MAX_ITEMS = 40
"""Largest connected component whose Newton system is solved densely (Cholesky)."""

# Per item: (opponent index, wins over it, losses to it), sorted by opponent.
_Games = list[list[tuple[int, float, float]]]


@dataclass(frozen=True, slots=True)
class Fit:
    """Raw result of one solve.

    Attributes:
        log_strength: ``θ`` per item, relative to the prior's reference item (``θ = 0``).
        iterations: Newton steps, the most any component needed.
        converged: Whether every component met the tolerance.
    """

    log_strength: dict[str, float]
    iterations: int
    converged: bool


@dataclass(slots=True)
class _System:
    """Newton system of one component: ``(D - C) x = grad`` in the component's local indices.

    ``diag`` is ``D``; ``off[k]`` lists ``(local j, C_kj)``, the curvature shared with opponent
    ``j``. The matrix is symmetric positive definite.
    """

    diag: list[float]
    off: list[list[tuple[int, float]]]
    grad: list[float]


def fit_strengths(
    items: Sequence[str],
    wins: Mapping[tuple[str, str], float],
    *,
    prior: float,
    max_iter: int,
    tol: float,
    start: Mapping[str, float] | None = None,
) -> Fit:
    """Maximise the Bradley–Terry posterior of ``wins`` (see the module docstring).

    Args:
        items: Ids to fit; every id in ``wins`` must be among them.
        wins: ``{(a, b): weighted wins of a over b}``.
        prior: Pseudo-count, > 0.
        max_iter: Maximum Newton steps per component.
        tol: Converged when a step moves no ``θ`` by more than this.
        start: Optional starting ``θ`` (warm start); missing ids start at 0.

    Returns:
        The fit.
    """
    games = _schedule(items, wins)
    theta = [float((start or {}).get(x, 0.0)) for x in items]
    iterations, converged = 0, True
    for members in _components(games):
        if len(members) == 1:
            theta[members[0]] = 0.0
            continue
        steps, ok = _newton(games, theta, members, prior, max_iter, tol)
        iterations, converged = max(iterations, steps), converged and ok
    return Fit(dict(zip(items, theta, strict=True)), iterations, converged)


def centre(log_strength: Mapping[str, float]) -> dict[str, float]:
    """Shift log-strengths so that they average 0 (win probabilities are unchanged)."""
    mean = math.fsum(log_strength.values()) / len(log_strength)
    return {x: s - mean for x, s in log_strength.items()}


def _schedule(items: Sequence[str], wins: Mapping[tuple[str, str], float]) -> _Games:
    """Index the tallies as per-item opponent lists in a fixed (sorted) order."""
    index = {x: i for i, x in enumerate(items)}
    table: list[dict[int, list[float]]] = [{} for _ in items]
    for (a, b), w in wins.items():
        i, j = index[a], index[b]
        table[i].setdefault(j, [0.0, 0.0])[0] += w
        table[j].setdefault(i, [0.0, 0.0])[1] += w
    return [sorted((j, w, lo) for j, (w, lo) in row.items() if w + lo > 0) for row in table]


def _components(games: _Games) -> list[list[int]]:
    """Connected components of the comparison graph, each sorted, in order of first member."""
    seen = [False] * len(games)
    out: list[list[int]] = []
    for root in range(len(games)):
        if seen[root]:
            continue
        seen[root], stack, members = True, [root], []
        while stack:
            i = stack.pop()
            members.append(i)
            for j, _, _ in games[i]:
                if not seen[j]:
                    seen[j] = True
                    stack.append(j)
        out.append(sorted(members))
    return out


def _log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _objective(
    games: _Games, theta: Sequence[float], members: Sequence[int], prior: float
) -> float:
    """Log-likelihood of one component's battles plus its prior's virtual battles."""
    total = 0.0
    for i in members:
        total += 0.5 * prior * (_log_sigmoid(theta[i]) + _log_sigmoid(-theta[i]))
        for j, w, _ in games[i]:
            if w:
                total += w * _log_sigmoid(theta[i] - theta[j])
    return total


def _system(games: _Games, theta: Sequence[float], members: Sequence[int], prior: float) -> _System:
    """Gradient and negative Hessian of the objective over ``members`` at ``theta``."""
    local = {i: k for k, i in enumerate(members)}
    diag, off, grad = [], [], []
    for i in members:
        s0 = _sigmoid(theta[i])
        g = prior * (0.5 - s0)
        d = prior * s0 * (1.0 - s0) + 1e-12  # the ridge keeps D - C safely positive definite
        row = []
        for j, w, lo in games[i]:
            s = _sigmoid(theta[i] - theta[j])
            g += w - (w + lo) * s
            curv = (w + lo) * s * (1.0 - s)
            d += curv
            row.append((local[j], curv))
        diag.append(d)
        off.append(row)
        grad.append(g)
    return _System(diag, off, grad)


def _solve_dense(system: _System) -> list[float]:
    """Solve the Newton system by Cholesky factorisation."""
    n = len(system.diag)
    a = [[0.0] * n for _ in range(n)]
    for k in range(n):
        a[k][k] = system.diag[k]
        for j, curv in system.off[k]:
            a[k][j] -= curv
    for k in range(n):
        row_k = a[k]
        pivot = math.sqrt(max(row_k[k] - math.fsum(v * v for v in row_k[:k]), 1e-300))
        row_k[k] = pivot
        for i in range(k + 1, n):
            row_i = a[i]
            dot = sum(x * y for x, y in zip(row_i[:k], row_k[:k], strict=True))
            row_i[k] = (row_i[k] - dot) / pivot
    y = [0.0] * n
    for i in range(n):
        y[i] = (system.grad[i] - sum(a[i][k] * y[k] for k in range(i))) / a[i][i]
    x = [0.0] * n
    for i in reversed(range(n)):
        x[i] = (y[i] - sum(a[k][i] * x[k] for k in range(i + 1, n))) / a[i][i]
    return x


def _solve_sparse(system: _System) -> list[float]:
    """Solve the Newton system by Jacobi-preconditioned conjugate gradients."""
    n = len(system.diag)

    def apply(v: Sequence[float]) -> list[float]:
        return [system.diag[k] * v[k] - sum(c * v[j] for j, c in system.off[k]) for k in range(n)]

    x = [0.0] * n
    r = list(system.grad)
    z = [rk / dk for rk, dk in zip(r, system.diag, strict=True)]
    p = list(z)
    rz = math.fsum(a * b for a, b in zip(r, z, strict=True))
    stop = 1e-24 * math.fsum(g * g for g in system.grad)
    for _ in range(2 * n):
        ap = apply(p)
        alpha = rz / math.fsum(a * b for a, b in zip(p, ap, strict=True))
        x = [xk + alpha * pk for xk, pk in zip(x, p, strict=True)]
        r = [rk - alpha * ak for rk, ak in zip(r, ap, strict=True)]
        if math.fsum(v * v for v in r) <= stop:
            break
        z = [rk / dk for rk, dk in zip(r, system.diag, strict=True)]
        rz, rz_old = math.fsum(a * b for a, b in zip(r, z, strict=True)), rz
        p = [zk + (rz / rz_old) * pk for zk, pk in zip(z, p, strict=True)]
    return x


def _newton(
    games: _Games, theta: list[float], members: list[int], prior: float, max_iter: int, tol: float
) -> tuple[int, bool]:
    """Damped Newton ascent on one component, in place; returns (steps, converged).

    Converged when a full step moves no ``θ`` by more than ``tol`` or when the gradient is down
    to rounding level (which is where a near-flat direction, such as an undefeated item under a
    tiny prior, leaves the step size itself dominated by noise).
    """
    solve = _solve_dense if len(members) <= DENSE_MAX_ITEMS else _solve_sparse
    scale = 1.0 + prior + max(math.fsum(w + lo for _, w, lo in games[i]) for i in members)
    value = _objective(games, theta, members, prior)
    for step in range(1, max_iter + 1):
        system = _system(games, theta, members, prior)
        steepest = max(abs(g) for g in system.grad)
        if steepest <= 1e-12 * scale:
            return step - 1, True
        direction = solve(system)
        t, value = _line_search(games, theta, members, prior, direction, system.grad, value)
        if t == 0.0:  # no ascent found: numerically at the maximum, or stuck
            return step, steepest <= 1e-8 * scale
        if t == 1.0 and max(abs(d) for d in direction) < tol:
            return step, True
    return max_iter, False


def _line_search(
    games: _Games,
    theta: list[float],
    members: list[int],
    prior: float,
    direction: Sequence[float],
    grad: Sequence[float],
    value: float,
) -> tuple[float, float]:
    """Backtrack along ``direction`` until the objective rises enough (Armijo), in place.

    Changes below the objective's rounding level count as no change, so that near the maximum,
    where the true gain is that small, the full Newton step is taken.

    Returns:
        ``(t, new objective)``; ``t = 0`` (``θ`` restored) if no ascent step was found.
    """
    slope = math.fsum(g * d for g, d in zip(grad, direction, strict=True))
    noise = 1e-12 * (1.0 + abs(value))
    old = [theta[i] for i in members]
    t = 1.0
    while t >= 1e-12:
        for k, i in enumerate(members):
            theta[i] = old[k] + t * direction[k]
        trial = _objective(games, theta, members, prior)
        if trial >= value + 1e-4 * t * slope - noise:
            return t, trial
        t *= 0.5
    for k, i in enumerate(members):
        theta[i] = old[k]
    return 0.0, value
