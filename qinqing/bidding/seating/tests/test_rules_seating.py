"""Seating (同标不同室): rooms against exhaustive search, then workstations."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from functools import cache

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qinqing.bidding.rules import RuleError
from qinqing.bidding.seating.rules import allocate_rooms, collision_pairs, seat_within_rooms

SETTINGS = settings(max_examples=120, derandomize=True, database=None, deadline=None)


def compositions(total: int, parts: int):
    """Every way to put ``total`` experts into ``parts`` rooms (counts per room)."""
    for cuts in itertools.combinations_with_replacement(range(total + 1), parts - 1):
        bounds = (0, *cuts, total)
        yield tuple(b - a for a, b in itertools.pairwise(bounds))


def brute_force_min_pairs(committees: dict[str, int], rooms: dict[str, int]) -> int:
    """Exhaustive search over all allocations (memoised on the capacity left)."""
    counts = list(committees.values())

    @cache
    def best(index: int, left: tuple[int, ...]) -> float:
        if index == len(counts):
            return 0
        options = [
            sum(math.comb(x, 2) for x in split)
            + best(index + 1, tuple(c - x for c, x in zip(left, split, strict=True)))
            for split in compositions(counts[index], len(left))
            if all(x <= c for x, c in zip(split, left, strict=True))
        ]
        return min(options, default=math.inf)

    return best(0, tuple(rooms.values()))


def assert_valid(allocation, committees, rooms):
    assert set(allocation) == set(committees)
    for committee, count in committees.items():
        assert len(allocation[committee]) == count
    used = Counter(room for places in allocation.values() for room in places)
    assert all(used[room] <= capacity for room, capacity in rooms.items())
    assert set(used) <= set(rooms)


def test_compositions_helper_is_exhaustive():
    assert sorted(compositions(2, 2)) == [(0, 2), (1, 1), (2, 0)]
    assert len(list(compositions(4, 4))) == math.comb(7, 3)


@pytest.mark.parametrize(
    ("committees", "rooms", "pairs"),
    [
        # two committees of 5 over five rooms of 2: one expert of each per room
        ({"A": 5, "B": 5}, {f"r{i}": 2 for i in range(5)}, 0),
        # one room only: C(3,2) = 3 pairs, nothing better exists
        ({"A": 3}, {"r1": 3}, 3),
        # A has 4 experts for 2 rooms: 2 + 2 gives 1 + 1 = 2 pairs; B then splits 1 + 1
        ({"A": 4, "B": 2}, {"r1": 3, "r2": 3}, 2),
        # capacity forces the big room: r1 must take 3 of the 4 experts
        ({"A": 2, "B": 2}, {"r1": 3, "r2": 1}, 1),
        # the seed's case: rooms of two tenders side by side, never two of one tender
        ({"HS-0001": 3, "HS-0002": 3, "JK-0007": 2}, {"H-1": 3, "H-2": 3, "H-3": 2}, 0),
    ],
)
def test_known_instances(committees, rooms, pairs):
    allocation = allocate_rooms(committees, rooms, b"seed")
    assert_valid(allocation, committees, rooms)
    assert collision_pairs(allocation) == pairs == brute_force_min_pairs(committees, rooms)


@SETTINGS
@given(
    counts=st.lists(st.integers(0, 4), min_size=1, max_size=4),
    capacities=st.lists(st.integers(0, 5), min_size=1, max_size=4),
    seed=st.binary(min_size=1, max_size=8),
)
def test_property_fewest_pairs_against_brute_force(counts, capacities, seed):
    assume(sum(counts) <= sum(capacities))
    committees = {f"C{i}": n for i, n in enumerate(counts)}
    rooms = {f"R{i}": n for i, n in enumerate(capacities)}
    allocation = allocate_rooms(committees, rooms, seed)
    assert_valid(allocation, committees, rooms)
    assert collision_pairs(allocation) == brute_force_min_pairs(committees, rooms)


def brute_force_min_pairs_with(committees, rooms, occupied) -> int:
    """As brute_force_min_pairs, counting the members already seated in each room."""
    names, room_ids = list(committees), list(rooms)

    @cache
    def best(index: int, left: tuple[int, ...]) -> float:
        if index == len(names):
            return 0
        seated = occupied.get(names[index], {})
        options = [
            sum(math.comb(seated.get(r, 0) + x, 2) for r, x in zip(room_ids, split, strict=True))
            + best(index + 1, tuple(c - x for c, x in zip(left, split, strict=True)))
            for split in compositions(committees[names[index]], len(left))
            if all(x <= c for x, c in zip(split, left, strict=True))
        ]
        return min(options, default=math.inf)

    return best(0, tuple(rooms[r] for r in room_ids))


def pairs_with(allocation, occupied) -> int:
    total = 0
    for committee, places in allocation.items():
        counts = Counter(places)
        for room, n in occupied.get(committee, {}).items():
            counts[room] += n
        total += sum(math.comb(n, 2) for n in counts.values())
    return total


def test_a_replacement_avoids_the_rooms_of_its_committee():
    # A's other members sit in r1 and r2; the replacement must go to r3, though r1 has room.
    occupied = {"A": {"r1": 1, "r2": 1}, "B": {"r3": 1}}
    rooms = {"r1": 3, "r2": 1, "r3": 1}
    for i in range(20):
        assert allocate_rooms({"A": 1}, rooms, bytes([i]), occupied=occupied) == {"A": ["r3"]}
    # without the occupancy any room would do
    firsts = {allocate_rooms({"A": 1}, rooms, bytes([i]))["A"][0] for i in range(20)}
    assert firsts == {"r1", "r2", "r3"}
    with pytest.raises(RuleError):
        allocate_rooms({"A": 1}, rooms, b"s", occupied={"A": {"r1": -1}})


@SETTINGS
@given(
    counts=st.lists(st.integers(0, 3), min_size=1, max_size=3),
    capacities=st.lists(st.integers(0, 4), min_size=1, max_size=4),
    seated=st.lists(st.integers(0, 2), min_size=12, max_size=12),
    seed=st.binary(min_size=1, max_size=8),
)
def test_property_fewest_pairs_with_members_already_seated(counts, capacities, seated, seed):
    assume(sum(counts) <= sum(capacities))
    committees = {f"C{i}": n for i, n in enumerate(counts)}
    rooms = {f"R{i}": n for i, n in enumerate(capacities)}
    occupied = {
        c: {r: seated[i * 4 + j] for j, r in enumerate(rooms)} for i, c in enumerate(committees)
    }
    allocation = allocate_rooms(committees, rooms, seed, occupied=occupied)
    assert_valid(allocation, committees, rooms)
    assert pairs_with(allocation, occupied) == brute_force_min_pairs_with(
        committees, rooms, occupied
    )


def test_more_experts_than_places():
    with pytest.raises(RuleError, match="评标室工位不足：需要 5 个，仅有 4 个"):
        allocate_rooms({"A": 3, "B": 2}, {"r1": 2, "r2": 2}, b"seed")


def test_negative_counts_rejected():
    with pytest.raises(RuleError):
        allocate_rooms({"A": -1}, {"r1": 2}, b"seed")
    with pytest.raises(RuleError):
        allocate_rooms({"A": 1}, {"r1": -2}, b"seed")


def test_empty_committee_gets_no_room():
    assert allocate_rooms({"A": 0, "B": 1}, {"r1": 1}, b"seed") == {"A": [], "B": ["r1"]}


def test_same_seed_same_allocation_whatever_the_mapping_order():
    committees = {"A": 3, "B": 2, "C": 4}
    rooms = {"r1": 3, "r2": 3, "r3": 2, "r4": 4}
    first = allocate_rooms(committees, rooms, b"seed")
    again = allocate_rooms(
        dict(reversed(committees.items())), dict(reversed(rooms.items())), b"seed"
    )
    assert first == again


def test_seeds_choose_among_the_valid_allocations():
    committees = {"A": 2, "B": 2}
    rooms = {"r1": 2, "r2": 2, "r3": 2}
    results = {
        tuple(map(tuple, allocate_rooms(committees, rooms, bytes([i])).values())) for i in range(20)
    }
    assert len(results) > 1


def test_every_room_gets_chosen_for_a_lone_expert():
    picks = Counter(
        allocate_rooms({"A": 1}, {"r1": 1, "r2": 1, "r3": 1}, i.to_bytes(2, "big"))["A"][0]
        for i in range(300)
    )
    assert set(picks) == {"r1", "r2", "r3"}
    assert min(picks.values()) > 60  # about 100 each


def test_experts_of_a_committee_are_shuffled_over_its_rooms():
    rooms = {"r1": 1, "r2": 1, "r3": 1}
    firsts = {allocate_rooms({"A": 3}, rooms, bytes([i]))["A"][0] for i in range(20)}
    assert firsts == {"r1", "r2", "r3"}


def test_collision_pairs_counts_pairs_per_committee_and_room():
    # A: three in r1 -> C(3,2) = 3 pairs; A and B sharing r1 is no collision
    assert collision_pairs({"A": ["r1", "r1", "r1", "r2"], "B": ["r1"]}) == 3
    assert collision_pairs({"A": ["r1", "r2"], "B": ["r1", "r2"]}) == 0


# ---- workstations ---------------------------------------------------------------------------

SEATS = {
    "H-1": ["H-1-01", "H-1-02", "H-1-03"],
    "H-2": ["H-2-01", "H-2-02"],
    "H-3": ["H-3-01", "H-3-02", "H-3-03", "H-3-04"],
}


def test_workstations_are_distinct_and_in_the_allocated_room():
    committees = {"HS-0001": 3, "HS-0002": 3, "JK-0007": 3}
    rooms = {room: len(seats) for room, seats in SEATS.items()}
    allocation = allocate_rooms(committees, rooms, b"seed")
    seats = seat_within_rooms(allocation, SEATS, b"seed")
    every_seat = [seat for places in seats.values() for seat in places]
    assert len(every_seat) == len(set(every_seat)) == 9
    for committee, places in seats.items():
        for room, seat in zip(allocation[committee], places, strict=True):
            assert seat in SEATS[room]
    assert seat_within_rooms(allocation, SEATS, b"seed") == seats


def test_workstations_vary_with_the_seed():
    allocation = {"A": ["H-3"], "B": ["H-3"]}
    results = {tuple(seat_within_rooms(allocation, SEATS, bytes([i]))["A"]) for i in range(20)}
    assert len(results) > 1


@pytest.mark.parametrize(
    ("allocation", "seats", "message"),
    [
        ({"A": ["H-2"], "B": ["H-2"], "C": ["H-2"]}, SEATS, "评标室 H-2 工位不足"),
        ({"A": ["H-9"]}, SEATS, "评标室不存在：H-9"),
        ({"A": ["H-1"]}, {"H-1": ["X-01"], "H-2": ["X-01"]}, "工位编号重复"),
    ],
)
def test_workstation_errors(allocation, seats, message):
    with pytest.raises(RuleError, match=message):
        seat_within_rooms(allocation, seats, b"seed")
