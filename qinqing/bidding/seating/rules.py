"""The law and maths of the evaluation day (pure: no Django; conventions in
`qinqing.bidding.rules`): seating (工位制) and the chair's election."""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence

from qinqing.bidding.draw.rules import partial_shuffle, u64_stream, uniform_below
from qinqing.bidding.rules import RuleError

# --------------------------------------------------------------------------------------------
# Seating (工位制): rooms, then workstations
# --------------------------------------------------------------------------------------------


_WEIGHT_RANGE = 2**20


def _substream(seed: bytes, label: bytes) -> Iterator[int]:
    """The QQ-DRAW-1 byte stream keyed by HMAC-SHA256(seed, label): one per use of a seed."""
    return u64_stream(hmac.new(seed, label, hashlib.sha256).digest())


def _check_counts(counts: Mapping[str, int], what: str) -> None:
    for key, count in counts.items():
        if count < 0:
            raise RuleError(f"{what}不能为负数：{key}")


def allocate_rooms(
    committees: Mapping[str, int],
    rooms: Mapping[str, int],
    seed: bytes,
    *,
    occupied: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, list[str]]:
    """Rooms for the experts of every committee at one centre in one time slot (同标不同室).

    Returns committee id -> one room id per expert (list length = the committee's count).
    Capacities are respected; the number of same-committee pairs sharing a room is the least
    possible, so it is zero whenever an allocation without such pairs exists.

    ``occupied`` (committee -> room -> members already seated there, e.g. when a replacement
    joins a committee seated earlier) counts those members in the pairs: a new expert of a
    committee in a room already holding m of its members adds m pairs. ``rooms`` then gives
    the places still free.

    Method: a min-cost flow (source -> committee, capacity = count; committee -> room, the k-th
    expert of a committee in a room costing k - 1 extra pairs; room -> sink, capacity = room
    capacity), solved by successive shortest paths. To choose at random among the optimal
    allocations, every committee-room edge also carries a random weight drawn from ``seed``;
    the weights are scaled below one pair, so they only break ties between optimal
    allocations. Each committee's rooms are then shuffled over its experts. Randomness is the
    QQ-DRAW-1 byte stream keyed by HMAC-SHA256(seed, "QQ-SEAT-ROOMS"), read over ids in
    sorted order: the result depends only on the mapping contents and the seed.
    """
    _check_counts(committees, "评标委员会人数")
    _check_counts(rooms, "评标室容量")
    need, capacity = sum(committees.values()), sum(rooms.values())
    if need > capacity:
        raise RuleError(f"评标室工位不足：需要 {need} 个，仅有 {capacity} 个")
    stream = _substream(seed, b"QQ-SEAT-ROOMS")
    committee_ids = sorted(c for c in committees if committees[c] > 0)
    room_ids = sorted(rooms)
    weights = [[uniform_below(_WEIGHT_RANGE, stream) for _ in room_ids] for _ in committee_ids]
    present = occupied or {}
    _check_counts(
        {f"{c}/{r}": n for c, by_room in present.items() for r, n in by_room.items()},
        "已就座人数",
    )
    flow = _min_cost_allocation(
        [committees[c] for c in committee_ids],
        [rooms[r] for r in room_ids],
        weights,
        [[present.get(c, {}).get(r, 0) for r in room_ids] for c in committee_ids],
    )
    allocation: dict[str, list[str]] = {c: [] for c in sorted(committees)}
    for c, row in zip(committee_ids, flow, strict=True):
        places = [room for room, count in zip(room_ids, row, strict=True) for _ in range(count)]
        partial_shuffle(places, len(places), stream)
        allocation[c] = places
    return allocation


def _min_cost_allocation(
    demands: list[int],
    capacities: list[int],
    weights: list[list[int]],
    present: list[list[int]],
) -> list[list[int]]:
    """flow[c][r] minimising sum(C(present + flow, 2) * scale + flow * weight) with the given
    sums (``present``: members already in the room).

    Successive shortest paths with Dijkstra and Johnson potentials over the residual graph;
    the parallel committee->room edges of increasing cost are implicit: the next unit on
    (c, r) costs ``flow * scale + weight``, cancelling one gives back the last unit's cost.
    """
    n_c, n_r = len(demands), len(capacities)
    source, sink = n_c + n_r, n_c + n_r + 1
    scale = sum(demands) * _WEIGHT_RANGE + 1  # one extra pair outweighs all weights together
    flow = [[0] * n_r for _ in range(n_c)]
    sent, used = [0] * n_c, [0] * n_r
    potential = [0] * (n_c + n_r + 2)

    def unit_cost(c: int, r: int, units_before: int) -> int:
        return (present[c][r] + units_before) * scale + weights[c][r]

    def arcs(u: int) -> Iterator[tuple[int, int]]:
        if u == source:
            yield from ((c, 0) for c in range(n_c) if sent[c] < demands[c])
        elif u < n_c:
            yield from ((n_c + r, unit_cost(u, r, flow[u][r])) for r in range(n_r))
        elif u < n_c + n_r:
            r = u - n_c
            yield from ((c, -unit_cost(c, r, flow[c][r] - 1)) for c in range(n_c) if flow[c][r])
            if used[r] < capacities[r]:
                yield sink, 0

    for _ in range(sum(demands)):
        distance, previous = _dijkstra(len(potential), source, arcs, potential)
        for node, d in enumerate(distance):
            if d is not None:
                potential[node] += d
        v = sink
        while v != source:
            u = previous[v]
            if u == source:
                sent[v] += 1
            elif v == sink:
                used[u - n_c] += 1
            elif u < n_c:
                flow[u][v - n_c] += 1
            else:
                flow[v][u - n_c] -= 1
            v = u
    return flow


def _dijkstra(
    n: int,
    source: int,
    arcs: Callable[[int], Iterable[tuple[int, int]]],
    potential: Sequence[int],
) -> tuple[list[int | None], list[int]]:
    """Dense Dijkstra on reduced costs; returns distances (None = unreachable) and parents."""
    distance: list[int | None] = [None] * n
    previous = [-1] * n
    done = [False] * n
    distance[source] = 0
    while True:
        open_nodes = [v for v in range(n) if not done[v] and distance[v] is not None]
        if not open_nodes:
            return distance, previous
        u = min(open_nodes, key=distance.__getitem__)
        done[u] = True
        for v, cost in arcs(u):
            candidate = distance[u] + cost + potential[u] - potential[v]
            if distance[v] is None or candidate < distance[v]:
                distance[v], previous[v] = candidate, u


def collision_pairs(allocation: Mapping[str, Sequence[str]]) -> int:
    """Number of pairs of experts of one committee sharing a room (同标不同室 violations)."""
    return sum(
        math.comb(count, 2) for rooms in allocation.values() for count in Counter(rooms).values()
    )


def seat_within_rooms(
    allocation: Mapping[str, Sequence[str]],
    seats_by_room: Mapping[str, Sequence[str]],
    seed: bytes,
) -> dict[str, list[str]]:
    """Workstations for an allocation: committee id -> the workstation of each expert.

    Each room's workstations are sorted, then shuffled by the QQ-DRAW-1 byte stream keyed by
    HMAC-SHA256(seed, "QQ-SEAT-WORKSTATIONS"); the room's experts (committees in sorted order,
    each in list order) take the first ones. Workstation ids must be distinct.
    """
    all_seats = [seat for seats in seats_by_room.values() for seat in seats]
    if len(set(all_seats)) != len(all_seats):
        raise RuleError("工位编号重复")
    occupants: dict[str, list[tuple[str, int]]] = {}
    for committee in sorted(allocation):
        for index, room in enumerate(allocation[committee]):
            occupants.setdefault(room, []).append((committee, index))
    stream = _substream(seed, b"QQ-SEAT-WORKSTATIONS")
    seat_of: dict[tuple[str, int], str] = {}
    for room in sorted(occupants):
        if room not in seats_by_room:
            raise RuleError(f"评标室不存在：{room}")
        seats = sorted(seats_by_room[room])
        if len(occupants[room]) > len(seats):
            raise RuleError(f"评标室 {room} 工位不足")
        partial_shuffle(seats, len(occupants[room]), stream)
        seat_of.update(zip(occupants[room], seats, strict=False))
    return {
        committee: [seat_of[committee, i] for i in range(len(rooms))]
        for committee, rooms in allocation.items()
    }


# --------------------------------------------------------------------------------------------
# The chair
# --------------------------------------------------------------------------------------------


def chair_tally(
    votes: Mapping[str, str], candidates: Collection[str]
) -> tuple[str | None, list[str]]:
    """The chair elected by one round of votes (voter -> candidate), each member one vote.

    《评标委员会和评标方法暂行规定》Art.9: the chair is elected by the members (or appointed by
    the tenderer) and has the same vote as every other member. The candidate with the most
    votes is elected; a tie for the most votes elects nobody and returns the tied candidates
    (sorted) for a re-vote among them. A vote for a non-candidate is refused (RuleError).
    """
    if not votes:
        raise RuleError("尚无投票")
    for voter, candidate in votes.items():
        if candidate not in candidates:
            raise RuleError(f"{voter} 所投对象不是本轮候选人：{candidate}")
    counts = Counter(votes.values())
    top = max(counts.values())
    leaders = sorted(c for c, n in counts.items() if n == top)
    if len(leaders) == 1:
        return leaders[0], []
    return None, leaders
