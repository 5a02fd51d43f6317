"""QQ-DRAW-1: hand-computed vectors, an independent re-implementation, uniformity, proofs."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.bidding.draw.rules import (
    ALGORITHM,
    canonical_pool,
    commitment,
    draw_seed,
    pool_digest,
    qq_draw_1,
    u64_stream,
    uniform_below,
    verify_proof,
)
from qinqing.bidding.rules import RuleError

NONCE = bytes(range(32))  # 00 01 02 ... 1f
OTHER_NONCE = bytes(range(1, 33))
POOL_10 = [f"WH-{i:04}" for i in range(1, 11)]

SETTINGS = settings(max_examples=150, derandomize=True, database=None, deadline=None)


def naive_draw(pool, nonce, entropy, draw_id, quota, backups):
    """bidding.md steps 1-7 written out literally; shares no code with rules.py."""
    # 1. freeze: sort by code point, digest of the codes joined by line feeds
    pool = sorted(pool)
    digest = hashlib.sha256("\n".join(pool).encode("utf-8")).hexdigest()
    # 4. seed
    message = "QQ-DRAW-1|" + draw_id + "|" + digest + "|" + entropy
    seed = hmac.new(nonce, message.encode("utf-8"), hashlib.sha256).digest()
    # 5. byte stream: blocks concatenated, read 8 bytes at a time
    stream = bytearray()
    position = 0

    def next_u():
        nonlocal position
        while position + 8 > len(stream):
            i = len(stream) // 32
            stream.extend(hmac.new(seed, i.to_bytes(8, "big"), hashlib.sha256).digest())
        u = int.from_bytes(stream[position : position + 8], "big")
        position += 8
        return u

    # 6. uniform integer below n
    def uniform(n):
        limit = 2**64 - (2**64 % n)
        while True:
            u = next_u()
            if u < limit:
                return u % n

    # 7. order
    a = list(pool)
    m = min(quota + backups, len(pool))
    for k in range(m):
        j = k + uniform(len(a) - k)
        a[k], a[j] = a[j], a[k]
    return a[:m]


def chi_square(counts: Counter, categories, total: int) -> float:
    expected = total / len(categories)
    return sum((counts[c] - expected) ** 2 / expected for c in categories)


# ---- hand-computed vector -------------------------------------------------------------------


def test_hand_computed_vector_step_by_step():
    pool = ["E1", "E2", "E3"]
    # step 1: SHA-256 of b"E1\nE2\nE3"
    digest = "f0152cc85f9b363a9cbbdb153ea3eab7a8f2f62bfdb00ec3f332a5bf694d266a"
    assert pool_digest(pool) == digest
    # step 2: SHA-256 of the 32 bytes 00..1f
    assert commitment(NONCE) == "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
    # step 4: HMAC-SHA256(key=00..1f, "QQ-DRAW-1|D-1|f015...266a|1")
    seed = draw_seed(NONCE, "D-1", digest, "1")
    assert seed.hex() == "fbece99383a9db51301be9dba94beb148426ffae8d2028ff9ec6245373d0f401"
    # step 5: block 0 = HMAC-SHA256(seed, 00 00 00 00 00 00 00 00)
    #   = 7ce19e840a22c0f3 291dbf45a4929133 9062c918e39723be 70a655c6f4adddb1
    stream = u64_stream(seed)
    u0, u1, u2 = next(stream), next(stream), next(stream)
    assert (u0, u1, u2) == (0x7CE19E840A22C0F3, 0x291DBF45A4929133, 0x9062C918E39723BE)
    # step 6/7, m = min(2 + 1, 3) = 3:
    #   k=0: n=3, 2^64 mod 3 = 1, limit = 2^64 - 1; u0 = 8998647820405883123 < limit,
    #        u0 mod 3 = 2 -> j = 2: swap E1, E3 -> [E3, E2, E1]
    #   k=1: n=2, limit = 2^64; u1 = 2962734435714371891 is odd -> j = 1 + 1 = 2:
    #        swap E2, E1 -> [E3, E1, E2]
    #   k=2: n=1: u2 is read and j = 2 (no change)
    assert u0 % 3 == 2 and u1 % 2 == 1
    drawn = qq_draw_1(
        pool, server_nonce=NONCE, witness_entropy="1", draw_id="D-1", quota=2, backups=1
    )
    assert drawn == ["E3", "E1", "E2"]  # principals E3, E1; backup E2


def test_pinned_vectors_for_ten_experts():
    host = qq_draw_1(
        POOL_10,
        server_nonce=NONCE,
        witness_entropy="3-6-2",
        draw_id="2024-HS-0001/host",
        quota=5,
        backups=2,
    )
    guest = qq_draw_1(
        POOL_10,
        server_nonce=NONCE,
        witness_entropy="",
        draw_id="2024-HS-0001/guest",
        quota=5,
        backups=2,
    )
    assert host == ["WH-0007", "WH-0001", "WH-0005", "WH-0006", "WH-0004", "WH-0009", "WH-0008"]
    assert guest == ["WH-0008", "WH-0009", "WH-0007", "WH-0001", "WH-0005", "WH-0006", "WH-0003"]


@pytest.mark.parametrize("size", range(1, 9))
@pytest.mark.parametrize("entropy", ["", "6", "骰子 3-3-5"])
def test_matches_naive_reimplementation_on_tiny_pools(size, entropy):
    pool = [f"X{i}" for i in range(size)]
    for quota in range(1, size + 1):
        for backups in range(3):
            expected = naive_draw(pool, NONCE, entropy, f"D-{size}", quota, backups)
            actual = qq_draw_1(
                pool,
                server_nonce=NONCE,
                witness_entropy=entropy,
                draw_id=f"D-{size}",
                quota=quota,
                backups=backups,
            )
            assert actual == expected


# ---- helpers of the algorithm ---------------------------------------------------------------


def test_canonical_pool_sorts_by_code_point_not_naturally():
    assert canonical_pool(["E2", "E10", "E1"]) == ["E1", "E10", "E2"]
    assert canonical_pool(["b", "é", "B", "a", "专", "Z"]) == ["B", "Z", "a", "b", "é", "专"]


@pytest.mark.parametrize("codes", [["E1", "E1"], ["E1", ""], ["E1", "E2\nE3"]])
def test_canonical_pool_rejects_ambiguous_codes(codes):
    with pytest.raises(RuleError):
        canonical_pool(codes)


def test_codes_must_be_encodable():
    with pytest.raises(RuleError, match="UTF-8"):
        pool_digest(["E1", "E\ud800"])


def test_pool_digest_is_a_function_of_the_set():
    assert pool_digest(["E3", "E1", "E2"]) == pool_digest(["E1", "E2", "E3"])
    assert pool_digest(["E1", "E2"]) != pool_digest(["E1", "E2", "E3"])


def test_stream_reads_four_integers_per_block_then_the_next_block():
    seed = b"s" * 32
    block0 = hmac.new(seed, bytes(8), hashlib.sha256).digest()
    block1 = hmac.new(seed, (1).to_bytes(8, "big"), hashlib.sha256).digest()
    values = list(itertools.islice(u64_stream(seed), 5))
    assert values[3] == int.from_bytes(block0[24:32], "big")
    assert values[4] == int.from_bytes(block1[0:8], "big")


def test_uniform_below_rejects_exactly_from_the_limit():
    # n = 3: 2^64 mod 3 = 1, limit = 2^64 - 1: the top value is rejected, the one below kept
    assert uniform_below(3, iter([2**64 - 1, 7])) == 7 % 3
    assert uniform_below(3, iter([2**64 - 2])) == (2**64 - 2) % 3
    # n = 2^63 + 1: limit = 2^63 + 1, so about half of all values are rejected
    n = 2**63 + 1
    assert uniform_below(n, iter([2**63 + 1, 2**64 - 1, 2**63, 5])) == 2**63


def test_uniform_below_one_still_consumes_a_value():
    stream = iter([9, 4])
    assert uniform_below(1, stream) == 0
    assert next(stream) == 4


# ---- qq_draw_1 contract ---------------------------------------------------------------------


def draw(pool=POOL_10, *, entropy="42", draw_id="D-1", quota=5, backups=2, nonce=NONCE):
    return qq_draw_1(
        pool,
        server_nonce=nonce,
        witness_entropy=entropy,
        draw_id=draw_id,
        quota=quota,
        backups=backups,
    )


def test_deterministic_and_sensitive_to_every_input():
    assert draw() == draw()
    assert draw(entropy="43") != draw()
    assert draw(draw_id="D-2") != draw()
    assert draw(nonce=OTHER_NONCE) != draw()
    assert draw(pool=[*POOL_10, "WH-0011"]) != draw()


def test_input_order_does_not_matter():
    assert draw(pool=list(reversed(POOL_10))) == draw()


def test_principals_then_backups_in_order():
    drawn = draw(quota=5, backups=2)
    assert len(drawn) == 7
    # the principals are the prefix; a draw without backups gives exactly them
    assert draw(quota=5, backups=0) == drawn[:5]


def test_m_is_capped_by_the_pool():
    assert len(draw(pool=POOL_10[:6], quota=5, backups=3)) == 6
    assert len(draw(pool=POOL_10[:5], quota=5, backups=3)) == 5


def test_pool_smaller_than_quota_fails():
    with pytest.raises(RuleError, match="专家库中符合条件的专家不足：需要 5 名，仅有 4 名"):
        draw(pool=POOL_10[:4], quota=5)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nonce": bytes(31)}, "32 字节"),
        ({"quota": 0}, "抽取人数无效"),
        ({"backups": -1}, "抽取人数无效"),
        ({"pool": ["E1", "E1", "E2"]}, "重复"),
    ],
)
def test_invalid_arguments(changes, message):
    with pytest.raises(RuleError, match=message):
        draw(**changes)


codes = st.text(
    alphabet=st.characters(exclude_characters="\n", exclude_categories=("Cs",)),
    min_size=1,
    max_size=5,
)


@SETTINGS
@given(
    pool=st.sets(codes, min_size=1, max_size=12),
    nonce=st.binary(min_size=32, max_size=32),
    entropy=st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=8),
    quota=st.integers(1, 12),
    backups=st.integers(0, 4),
    data=st.data(),
)
def test_property_permutation_prefix_without_repeats(pool, nonce, entropy, quota, backups, data):
    pool = sorted(pool)
    if quota > len(pool):
        with pytest.raises(RuleError):
            qq_draw_1(
                pool,
                server_nonce=nonce,
                witness_entropy=entropy,
                draw_id="P",
                quota=quota,
                backups=backups,
            )
        return
    shuffled_input = data.draw(st.permutations(pool))
    drawn = qq_draw_1(
        shuffled_input,
        server_nonce=nonce,
        witness_entropy=entropy,
        draw_id="P",
        quota=quota,
        backups=backups,
    )
    full = qq_draw_1(
        pool, server_nonce=nonce, witness_entropy=entropy, draw_id="P", quota=len(pool), backups=0
    )
    assert sorted(full) == pool  # the full order is a permutation of the pool
    assert drawn == full[: min(quota + backups, len(pool))]  # every draw is its prefix
    assert len(set(drawn)) == len(drawn)
    assert drawn == naive_draw(pool, nonce, entropy, "P", quota, backups)


# ---- uniformity -----------------------------------------------------------------------------

# chi-square critical values at significance 0.001
CHI2_DF3 = 16.266
CHI2_DF9 = 27.877
CHI2_DF23 = 49.728


def test_uniform_one_of_ten_over_many_seeds():
    counts = Counter(draw(draw_id=f"U-{i}", quota=1, backups=0)[0] for i in range(3000))
    assert chi_square(counts, POOL_10, 3000) < CHI2_DF9


def full_shuffles(n_draws: int) -> list[tuple[str, ...]]:
    pool = ["A", "B", "C", "D"]
    return [tuple(draw(pool, draw_id=f"P-{i}", quota=4, backups=0)) for i in range(n_draws)]


def test_uniform_full_shuffles_of_four():
    shuffles = full_shuffles(2400)
    permutations = list(itertools.permutations("ABCD"))
    assert chi_square(Counter(shuffles), permutations, 2400) < CHI2_DF23
    for element in "ABCD":
        positions = Counter(order.index(element) for order in shuffles)
        assert chi_square(positions, range(4), 2400) < CHI2_DF3


def test_chi_square_detects_the_classic_biased_shuffle():
    """The same streams fed to "swap with any position" (n^n paths) must fail the test."""
    pool = ["A", "B", "C", "D"]
    biased = Counter()
    for i in range(2400):
        stream = u64_stream(draw_seed(NONCE, f"P-{i}", pool_digest(pool), "42"))
        a = list(pool)
        for k in range(4):
            j = uniform_below(4, stream)
            a[k], a[j] = a[j], a[k]
        biased[tuple(a)] += 1
    assert chi_square(biased, list(itertools.permutations(pool)), 2400) > CHI2_DF23


# ---- proofs ---------------------------------------------------------------------------------


def make_proof() -> dict:
    pool = canonical_pool(POOL_10)
    proof = {
        "algorithm": ALGORITHM,
        "draw_id": "2024-HS-0001/host",
        "pool": pool,
        "pool_digest": pool_digest(pool),
        "commitment": commitment(NONCE),
        "server_nonce": NONCE.hex(),
        "witness_entropy": "3-6-2",
        "quota": 5,
        "backups": 2,
        "drawn": draw(entropy="3-6-2", draw_id="2024-HS-0001/host"),
    }
    return json.loads(json.dumps(proof))  # exactly what a verifier reads back


def test_valid_proof_has_no_mismatch():
    assert verify_proof(make_proof()) == []


TAMPERINGS = {
    "algorithm": lambda p: {**p, "algorithm": "QQ-DRAW-2"},
    "draw_id": lambda p: {**p, "draw_id": "2024-HS-0002/host"},
    "pool_removed": lambda p: {**p, "pool": p["pool"][1:]},
    "pool_added": lambda p: {**p, "pool": sorted([*p["pool"], "WH-0011"])},
    "pool_order": lambda p: {**p, "pool": list(reversed(p["pool"]))},
    "pool_digest": lambda p: {**p, "pool_digest": "0" + p["pool_digest"][1:]},
    "commitment": lambda p: {**p, "commitment": commitment(OTHER_NONCE)},
    "server_nonce": lambda p: {**p, "server_nonce": OTHER_NONCE.hex()},
    "witness_entropy": lambda p: {**p, "witness_entropy": "3-6-3"},
    "quota": lambda p: {**p, "quota": 4},
    "backups": lambda p: {**p, "backups": 3},
    "drawn_swapped": lambda p: {**p, "drawn": [p["drawn"][1], p["drawn"][0], *p["drawn"][2:]]},
    "drawn_replaced": lambda p: {**p, "drawn": [*p["drawn"][:-1], "WH-0010"]},
}


@pytest.mark.parametrize("name", TAMPERINGS)
def test_every_tampered_field_is_caught(name):
    proof = make_proof()
    assert proof["drawn"][-1] != "WH-0010"  # keeps "drawn_replaced" a real change
    assert verify_proof(TAMPERINGS[name](proof)) != []


def test_mismatches_name_the_field():
    assert verify_proof({**make_proof(), "pool_digest": "00"}) == ["pool_digest 与 pool 不符"]
    assert verify_proof({**make_proof(), "server_nonce": OTHER_NONCE.hex()}) == [
        "commitment 与 server_nonce 不符",
        "drawn 与重新计算的抽取结果不符",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"quota": "5"}, "字段类型错误：quota"),
        ({"quota": True}, "字段类型错误：quota"),
        ({"pool": ["WH-0001", 2]}, "字段类型错误：pool 须为字符串列表"),
        ({"server_nonce": "zz"}, "server_nonce 不是十六进制字符串"),
        ({"quota": 11}, "无法重新计算抽取结果"),
        ({"pool": ["WH-0001", "WH-0001"]}, "pool 无效"),
    ],
)
def test_malformed_proofs_are_reported_not_raised(change, expected):
    problems = verify_proof({**make_proof(), **change})
    assert any(problem.startswith(expected) for problem in problems), problems


def test_missing_field_is_reported():
    proof = make_proof()
    del proof["witness_entropy"]
    assert verify_proof(proof) == ["缺少字段：witness_entropy"]
