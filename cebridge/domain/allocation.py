"""Exact allocation of hours to category requirements: a maximum flow, never first-fit.

Completions supply hours; requirements demand them; a completion may feed any requirement its categories
serve. Maximising the flow minimises the total shortfall (sum of demands minus flow). Quantities are integers
(hundredths of an hour), so the result is exact.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence


def allocate(supply: Sequence[int], demand: Sequence[int], edges: Sequence[Sequence[int]]) -> list[dict[int, int]]:
    """A maximum flow from completions to requirements.

    Args:
        supply: hours (integer units) each completion can give.
        demand: hours each requirement still needs.
        edges: for each completion, the requirements it may feed, in preference order.

    Returns:
        For each completion, ``{requirement index: amount}`` with amount > 0.
    """
    left = list(supply)
    need = list(demand)
    flow: list[dict[int, int]] = [{} for _ in supply]
    # Greedy start: a feasible flow that is already optimal when no completion serves two requirements.
    shared = False
    for i, targets in enumerate(edges):
        if len(targets) > 1:
            shared = True
        for j in targets:
            if left[i] == 0:
                break
            give = min(left[i], need[j])
            if give:
                flow[i][j] = flow[i].get(j, 0) + give
                left[i] -= give
                need[j] -= give
    if not shared:
        return flow
    feeders: list[dict[int, None]] = [{} for _ in demand]  # requirement -> completions with flow into it
    for i, f in enumerate(flow):
        for j in f:
            feeders[j][i] = None
    while _augment(left, need, flow, edges, feeders):
        pass
    return flow


def _augment(
    left: list[int],
    need: list[int],
    flow: list[dict[int, int]],
    edges: Sequence[Sequence[int]],
    feeders: list[dict[int, None]],
) -> bool:
    """Find one augmenting path (BFS) and push flow along it; False when the flow is maximum."""
    if not any(need) or not any(left):
        return False
    # parent_req[j] = completion we reached requirement j from; parent_comp[i] = requirement we reached i from.
    parent_req: dict[int, int] = {}
    parent_comp: dict[int, int | None] = {}
    queue: deque[int] = deque()
    for i, amount in enumerate(left):
        if amount > 0 and edges[i]:
            parent_comp[i] = None
            queue.append(i)
    while queue:
        i = queue.popleft()
        for j in edges[i]:
            if j in parent_req:
                continue
            parent_req[j] = i
            if need[j] > 0:
                _push(j, left, need, flow, parent_req, parent_comp, feeders)
                return True
            for back in feeders[j]:
                if back not in parent_comp:
                    parent_comp[back] = j
                    queue.append(back)
    return False


def _push(
    end: int,
    left: list[int],
    need: list[int],
    flow: list[dict[int, int]],
    parent_req: dict[int, int],
    parent_comp: dict[int, int | None],
    feeders: list[dict[int, None]],
) -> None:
    # Walk back to find the bottleneck, then apply.
    path: list[tuple[int, int]] = []  # (completion, requirement) forward edges; back edges between them
    amount = need[end]
    j = end
    while True:
        i = parent_req[j]
        path.append((i, j))
        prev = parent_comp[i]
        if prev is None:
            amount = min(amount, left[i])
            break
        amount = min(amount, flow[i][prev])
        j = prev
    for i, j in path:
        flow[i][j] = flow[i].get(j, 0) + amount
        feeders[j][i] = None
        prev = parent_comp[i]
        if prev is None:
            left[i] -= amount
        else:
            flow[i][prev] -= amount
            if flow[i][prev] == 0:
                del flow[i][prev]
                del feeders[prev][i]
    need[end] -= amount
