"""Set aside offerings that provably never improve a plan, to keep the integer program small.

Offering ``a`` *dominates* ``b`` when ``a`` can stand in for ``b`` in any plan and the plan gets no worse:
``a`` costs no more, takes no more clock time, covers every goal ``b`` covers, can be taken whenever ``b``
can (on demand, or the same single session), and for every license that accepts ``b`` it is accepted too,
earns at least as many hours, feeds every requirement ``b`` feeds, counts toward every completion minimum
``b`` counts toward, and falls under no cap ``b`` escapes (under a cap, with exactly the same hours).
Offerings that are the same course as another in the catalog never stand in (only one of them may be taken),
nor do on-demand offerings whose acceptance changes before the deadline (an approval that lapses): when they
are taken decides what they are worth.

Dominance alone does not allow removing ``b``: a plan may need ``b`` *and* ``a``. But a plan never needs more
than ``K`` courses each at least as good as ``b``, where ``K`` is enough of them to supply every hour any
license still needs (``ceil(needed / hours of b)``) and every missing completion. So ``b`` is removed when at
least ``K`` offerings dominate it: in an optimal plan with ``b``, either some dominator is missing (swap it
in) or ``K`` of them are present (then ``b`` adds nothing). Removal is exact under a strict order (ties
broken by catalog position), so removing many offerings at once is safe.

With several deadlines and a weekly limit a course may be scheduled to count for only some licenses (it is done
after the others' deadlines). Then ``K`` is the sum of the per-license bounds: if ``b`` counts for a license
where fewer than that license's bound of dominators count, some dominator counts for none of those licenses
(there are more dominators than the bounds together) and can take over all of ``b``'s roles at once, needing
no more hours before any deadline than ``b`` did.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cebridge.domain.base import ZERO

from .candidates import Candidate, Pool
from .facts import Fact
from .numbers import Scale

_CHUNK = 2048


@dataclass(frozen=True)
class _Profile:
    sig: tuple[object, ...]  # goals and, per license, acceptance, served sets and caps
    kind: int  # 0 on demand, -1 live with several sessions, >0 one session (a code per day and week)
    can_dom: bool
    need: int  # K: dominators needed before it may go
    goals: frozenset[int]
    lic: tuple[tuple[bool, frozenset[int], frozenset[int], frozenset[int]], ...]


def _merged(cand: Candidate, lic: int) -> Fact | None:
    """One fact that every accepted session's fact dominates (for a live offering with several)."""
    if not cand.live:
        return cand.facts[lic] if cand.facts[lic].accepted else None
    got = [s.facts[lic] for s in cand.slots if s.facts[lic].accepted]
    if not got:
        return None
    serves = frozenset().union(*(f.serves for f in got))
    completes = frozenset().union(*(f.completes for f in got))
    caps = frozenset.intersection(*(f.caps for f in got))
    return Fact(True, None, max(f.hours for f in got), serves, completes, caps)


def prune(pool: Pool, scale: Scale) -> list[Candidate]:
    """The candidates worth giving the solver (a subset of ``pool.candidates``, in the same order)."""
    cands = pool.candidates
    views = pool.views
    opts = pool.request.options
    # With several deadlines under one weekly limit a course may count for some licenses only (it is done after
    # the others' deadlines); then K dominators per license, together, are needed (see the module docstring).
    per_license = opts.hours_per_week is not None and len({v.deadline for v in views}) > 1
    if not cands:
        return []
    bounds = []
    for v in views:
        shared = sum((n.short for n in v.needs if n.required > 0 and not n.independent), ZERO)
        alone = max((n.short for n in v.needs if n.independent), default=ZERO)
        hours_needed = max(v.total_short, shared, alone)
        bounds.append((scale.h(hours_needed, up=True), sum(n.completions_short for n in v.needs)))
    n_l = len(views)
    kinds: dict[tuple[object, ...], int] = {}
    profiles: list[_Profile] = []
    hours = np.zeros((len(cands), n_l), dtype=np.int64)
    for i, c in enumerate(cands):
        lic = []
        sig: list[object] = [c.goals]
        need = 1 if c.goals else 0
        summed = 0
        for j in range(n_l):
            f = _merged(c, j)
            if f is None:
                lic.append((False, frozenset[int](), frozenset[int](), frozenset[int]()))
                sig.append(None)
                continue
            h = scale.h(f.hours)
            hours[i, j] = h
            lic.append((True, f.serves, f.completes, f.caps))
            sig.append((f.serves, f.completes, f.caps, h if f.caps else None))
            needed, missing = bounds[j]
            k = math.ceil(needed / h) if needed > 0 and h > 0 else 0
            need = max(need, k, missing)
            summed += max(k, missing)
        if per_license:
            need = max(need, summed)
        if not c.live:
            kind = 0
        elif len(c.slots) > 1:
            kind = -1
        else:
            kind = kinds.setdefault((c.slots[0].day, c.slots[0].week), len(kinds) + 1)
        can_dom = c.group is None and kind >= 0 and c.steady
        profiles.append(_Profile(tuple(sig), kind, can_dom, need, c.goals, tuple(lic)))
    cost = np.array([scale.m(c.cost) for c in cands], dtype=np.int64)
    time = np.array([scale.t(c.time) for c in cands], dtype=np.int64)
    kind_arr = np.array([p.kind for p in profiles], dtype=np.int64)
    can = np.array([p.can_dom for p in profiles], dtype=bool)
    need_arr = np.array([p.need for p in profiles], dtype=np.int64)
    num = _Numbers(cost, time, hours, kind_arr, can)

    classes: dict[tuple[object, ...], list[int]] = {}
    for i, p in enumerate(profiles):
        classes.setdefault(p.sig, []).append(i)
    # Phase 1: within each class (same goals, acceptance, served sets and caps).
    alive = np.ones(len(cands), dtype=bool)
    for members in classes.values():
        idx = np.array(members, dtype=np.int64)
        counts = num.count(idx, idx, same=True, eq=None)
        alive[idx[counts >= need_arr[idx]]] = False
    # Phase 2: across classes, among what is left.
    keys = list(classes)
    left = {k: np.array([i for i in classes[k] if alive[i]], dtype=np.int64) for k in keys}
    rep = {k: profiles[classes[k][0]] for k in keys}
    final = alive.copy()
    for kb in keys:
        b_idx = left[kb]
        if b_idx.size == 0:
            continue
        counts = num.count(b_idx, b_idx, same=True, eq=None)
        by_eq: dict[tuple[bool, ...], list[npt.NDArray[np.int64]]] = {}
        for ka in keys:
            a_idx = left[ka]
            if ka == kb or a_idx.size == 0:
                continue
            eq = _set_dominates(rep[ka], rep[kb])
            if eq is not None:
                by_eq.setdefault(eq, []).append(a_idx)
        for eq, parts in by_eq.items():
            counts += num.count(np.concatenate(parts), b_idx, same=False, eq=np.array(eq, dtype=bool))
        final[b_idx[counts >= need_arr[b_idx]]] = False
    return [c for i, c in enumerate(cands) if final[i]]


def _set_dominates(a: _Profile, b: _Profile) -> tuple[bool, ...] | None:
    """None when ``a``'s class cannot stand in for ``b``'s; else, per license, whether hours must be equal."""
    if not a.goals >= b.goals:
        return None
    eq = []
    for (acc_a, serves_a, comp_a, caps_a), (acc_b, serves_b, comp_b, caps_b) in zip(a.lic, b.lic, strict=True):
        if not acc_b:
            eq.append(False)
            continue
        if not acc_a or not serves_a >= serves_b or not comp_a >= comp_b or not caps_a <= caps_b:
            return None
        eq.append(bool(caps_a))
    return tuple(eq)


@dataclass(frozen=True)
class _Numbers:
    cost: npt.NDArray[np.int64]
    time: npt.NDArray[np.int64]
    hours: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int64]
    can: npt.NDArray[np.bool_]

    def count(
        self,
        a_idx: npt.NDArray[np.int64],
        b_idx: npt.NDArray[np.int64],
        *,
        same: bool,
        eq: npt.NDArray[np.bool_] | None,
    ) -> npt.NDArray[np.int64]:
        """For each ``b``, how many ``a`` dominate it on the numbers (``same``: the strict, tie-broken order
        within one class; ``eq``: licenses where hours must match exactly)."""
        out = np.zeros(b_idx.size, dtype=np.int64)
        a_idx = a_idx[self.can[a_idx]]
        if a_idx.size == 0:
            return out
        for lo in range(0, b_idx.size, _CHUNK):
            b = b_idx[lo : lo + _CHUNK]
            ge = self._ge(a_idx, b, eq)
            if same:
                back = self._ge_full(b, a_idx)  # b >= a, aligned as [a, b]
                tie = a_idx[:, None] < b[None, :]
                ge &= ~back | tie
                ge &= a_idx[:, None] != b[None, :]
            out[lo : lo + _CHUNK] = ge.sum(axis=0)
        return out

    def _ge(
        self, a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], eq: npt.NDArray[np.bool_] | None
    ) -> npt.NDArray[np.bool_]:
        ka = self.kind[a][:, None]
        kb = self.kind[b][None, :]
        ge: npt.NDArray[np.bool_] = (ka == 0) | ((ka == kb) & (ka > 0))
        ge &= self.cost[a][:, None] <= self.cost[b][None, :]
        ge &= self.time[a][:, None] <= self.time[b][None, :]
        for j in range(self.hours.shape[1]):
            ha = self.hours[a, j][:, None]
            hb = self.hours[b, j][None, :]
            if eq is not None and eq[j]:
                ge &= ha == hb
            else:
                ge &= ha >= hb
        return ge

    def _ge_full(self, b: npt.NDArray[np.int64], a: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """``b`` >= ``a`` (within one class, where ``b`` may stand in), shaped [a, b]."""
        can_b = self.can[b][None, :]
        out: npt.NDArray[np.bool_] = self._ge(b, a, None).T & can_b
        return out
