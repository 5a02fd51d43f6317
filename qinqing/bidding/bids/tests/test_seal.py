"""QQ-SEAL-1 and QQ-SEAL-2 in Python: the round trip, the passphrase, the binding of each part
(and, in QQ-SEAL-2, of each chunk to its place), the manifest's and the schedule's checks, and
the deadline rule at its boundary."""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import itertools
import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap
from hypothesis import given
from hypothesis import strategies as st

from qinqing.bidding.bids import rules, seal
from qinqing.bidding.bids.tests.conftest import PASSPHRASE, SCHEDULE, pdf_bytes, sealed_bid
from qinqing.bidding.rules import RuleError

USCC = "91420100MA00002009"
MAX = 100 * 1024 * 1024


@pytest.fixture(scope="module")
def sealed():
    return sealed_bid(42, USCC, version=seal.FORMAT_1)


def _files(sealed_):
    return [io.BytesIO(c) for c in sealed_.ciphertexts]


def test_round_trip_recovers_every_file_and_the_schedule(sealed):
    manifest = seal.manifest_check(json.loads(json.dumps(sealed.manifest)), max_file_bytes=MAX)
    key = seal.unwrap_key(manifest, PASSPHRASE)
    originals = [pdf_bytes("business", 3000), pdf_bytes("technical", 70000)]
    for entry, fileobj, original in zip(manifest.files, _files(sealed), originals, strict=True):
        plain = b"".join(seal.unseal_stream(manifest, entry, key, fileobj))
        assert plain == original
        assert entry.sha256 == hashlib.sha256(original).hexdigest()
        assert entry.ciphertext_size == len(original) + 16
    schedule = seal.unseal_schedule(manifest, key)
    assert schedule.price == Decimal("12345678.90")
    assert schedule.duration_days == 180 and schedule.project_manager == "张建国"
    assert schedule.declared_items == (seal.DeclaredItem("安全文明施工费", "120000.00"),)


def test_layout_is_webcrypto_output_with_the_stated_associated_data(sealed):
    """The documented layout, rebuilt from first principles: KEK by PBKDF2, AES-KW unwrap, and
    each ciphertext = AES-GCM(nonce, plaintext, AAD) with the tag last."""
    m = sealed.manifest
    salt = base64.b64decode(m["kdf"]["salt"])
    kek = hashlib.pbkdf2_hmac("sha256", PASSPHRASE.encode(), salt, 600_000, 32)
    key = aes_key_unwrap(kek, base64.b64decode(m["key_wrap"]["wrapped_key"]))
    f = m["files"][0]
    aad = f"QQ-SEAL-1|42|{USCC}|商务标|{f['sha256']}".encode()
    plain = AESGCM(key).decrypt(base64.b64decode(f["nonce"]), sealed.ciphertexts[0], aad)
    assert plain.startswith(b"%PDF-")
    schedule = AESGCM(key).decrypt(
        base64.b64decode(m["schedule"]["nonce"]),
        base64.b64decode(m["schedule"]["ciphertext"]),
        f"QQ-SEAL-1|42|{USCC}|开标一览表|-".encode(),
    )
    assert json.loads(schedule)["price"] == "12345678.90"
    assert "passphrase" not in json.dumps(m) and PASSPHRASE not in json.dumps(m)


def test_wrong_passphrase_is_refused_in_chinese(sealed):
    manifest = seal.manifest_check(sealed.manifest, max_file_bytes=MAX)
    with pytest.raises(RuleError, match="解密口令不正确"):
        seal.unwrap_key(manifest, PASSPHRASE + "x")


def test_a_part_moved_to_another_section_or_role_does_not_decrypt(sealed):
    data = copy.deepcopy(sealed.manifest)
    data["section"] = 43
    manifest = seal.manifest_check(data, max_file_bytes=MAX)
    key = seal.unwrap_key(manifest, PASSPHRASE)
    with pytest.raises(RuleError, match="解密失败"):
        b"".join(seal.unseal_stream(manifest, manifest.files[0], key, _files(sealed)[0]))
    with pytest.raises(RuleError, match="开标一览表解密失败"):
        seal.unseal_schedule(manifest, key)
    data = copy.deepcopy(sealed.manifest)
    data["files"][0]["role"] = "技术标"
    manifest = seal.manifest_check(data, max_file_bytes=MAX)
    with pytest.raises(RuleError, match="解密失败"):
        b"".join(seal.unseal_stream(manifest, manifest.files[0], key, _files(sealed)[0]))


def test_a_changed_byte_of_ciphertext_is_found(sealed):
    manifest = seal.manifest_check(sealed.manifest, max_file_bytes=MAX)
    key = seal.unwrap_key(manifest, PASSPHRASE)
    tampered = bytearray(sealed.ciphertexts[1])
    tampered[100] ^= 1
    with pytest.raises(RuleError, match="密文被改动"):
        b"".join(seal.unseal_stream(manifest, manifest.files[1], key, io.BytesIO(tampered)))
    with pytest.raises(RuleError, match="长度与回执不符"):
        b"".join(seal.unseal_stream(manifest, manifest.files[1], key, io.BytesIO(tampered[:-1])))


def test_sealing_refuses_what_is_not_a_pdf_and_a_short_passphrase():
    with pytest.raises(RuleError, match="不是 PDF"):
        sealed_bid(1, USCC, files=[seal.PlainFile("商务标", "a.pdf", b"PK\x03\x04 zip")])
    with pytest.raises(RuleError, match="至少 8 个字符"):
        sealed_bid(1, USCC, passphrase="1234567")
    with pytest.raises(RuleError, match="类别"):
        sealed_bid(1, USCC, files=[seal.PlainFile("报价单", "a.pdf", pdf_bytes("x"))])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(version="QQ-SEAL-3"), "version"),
        (lambda m: m.update(version="QQ-SEAL-2"), "chunk_size"),
        (lambda m: m.pop("bidder"), "bidder"),
        (lambda m: m["kdf"].update(iterations=100_000), "600000"),
        (lambda m: m["kdf"].update(salt="AAAA"), "kdf.salt 长度应为 16"),
        (lambda m: m["key_wrap"].update(wrapped_key="not base64!"), "Base64"),
        (lambda m: m["files"][0].update(role="报价"), "role"),
        (lambda m: m["files"][0].update(name="商务标.docx"), "不是 PDF"),
        (lambda m: m["files"][0].update(sha256="ABC"), "SHA-256"),
        (lambda m: m["files"][0].update(ciphertext_size=m["files"][0]["size"] + 15), "应多 16"),
        (lambda m: m["files"][0].update(size=MAX + 1, ciphertext_size=MAX + 17), "文件过大"),
        (lambda m: m.update(files=[]), "至少含一个"),
        (lambda m: m.pop("schedule"), "开标一览表"),
    ],
)
def test_manifest_fields_are_checked(sealed, change, message):
    data = copy.deepcopy(sealed.manifest)
    change(data)
    with pytest.raises(RuleError, match=message):
        seal.manifest_check(data, max_file_bytes=MAX)


def test_file_size_cap_boundary(sealed):
    data = copy.deepcopy(sealed.manifest)
    size = max(f["size"] for f in data["files"])
    seal.manifest_check(data, max_file_bytes=size)  # exactly at the cap: accepted
    with pytest.raises(RuleError, match="文件过大"):
        seal.manifest_check(data, max_file_bytes=size - 1)


@pytest.mark.parametrize(
    ("price", "ok"),
    [
        ("0", False),
        ("0.00", False),
        ("0.01", True),
        ("1.005", False),
        ("01", False),
        ("-1", False),
        ("1e3", False),
        ("9999999999999999.99", True),
        (1000, False),
    ],
)
def test_schedule_price_is_a_decimal_string_above_zero(price, ok):
    data = {**SCHEDULE, "price": price}
    if ok:
        assert seal.schedule_check(data).price == Decimal(price)
    else:
        with pytest.raises(RuleError, match="投标报价"):
            seal.schedule_check(data)


@pytest.mark.parametrize(
    ("days", "ok"),
    [(0, False), (1, True), (3650, True), (3651, False), (True, False), ("90", False)],
)
def test_schedule_duration_boundaries(days, ok):
    data = {**SCHEDULE, "duration_days": days}
    if ok:
        assert seal.schedule_check(data).duration_days == days
    else:
        with pytest.raises(RuleError, match="工期"):
            seal.schedule_check(data)


@given(
    cents=st.integers(min_value=1, max_value=10**17 - 1),
    days=st.integers(min_value=1, max_value=3650),
    manager=st.text(min_size=1, max_size=50).filter(lambda s: s.strip() == s and s),
)
def test_schedule_json_round_trips(cents, days, manager):
    price = Decimal(cents) / 100
    schedule = seal.Schedule(
        price=price.quantize(Decimal("0.01")),
        duration_days=days,
        quality="合格",
        project_manager=manager,
    )
    assert seal.schedule_check(json.loads(seal.schedule_json(schedule))) == schedule


def test_deadline_is_exclusive():
    deadline = datetime(2026, 12, 9, 9, 30)
    rules.check_open(now=deadline - timedelta(microseconds=1), deadline=deadline)
    with pytest.raises(RuleError, match=r"2026年12月09日 09:30.*已过.*第二十八条"):
        rules.check_open(now=deadline, deadline=deadline)
    with pytest.raises(RuleError, match="尚未设定"):
        rules.check_open(now=deadline, deadline=None)


def test_receipt_numbers_differ_for_submission_and_withdrawal():
    at = datetime(2026, 12, 7, 10, 0)
    assert rules.receipt_number(issued_at=at, section_id=3, bid_id=45, withdrawal=False) == (
        "HZ20261207-3-000045"
    )
    assert rules.receipt_number(issued_at=at, section_id=3, bid_id=45, withdrawal=True) == (
        "HZ20261207-3-000045-C"
    )


@given(
    plain=st.binary(min_size=0, max_size=5000).map(lambda b: b"%PDF-" + b),
    cuts=st.lists(st.integers(min_value=0, max_value=5100), max_size=6),
    flip=st.one_of(st.none(), st.integers(min_value=0, max_value=5100)),
)
def test_streamed_unsealing_is_chunking_independent_and_catches_any_changed_byte(plain, cuts, flip):
    """Whatever the chunk boundaries, the streamed plaintext is the file; any one changed byte
    of ciphertext or tag is refused (no PBKDF2 here: the content key is given)."""
    key, nonce = bytes(range(32)), bytes(12)
    sha = hashlib.sha256(plain).hexdigest()
    ciphertext = AESGCM(key).encrypt(nonce, plain, seal.associated_data(7, USCC, "技术标", sha))
    entry = seal.FileEntry("技术标", "a.pdf", len(plain), sha, nonce, len(ciphertext), "0" * 64)
    manifest = seal.Manifest(7, USCC, bytes(16), seal.ITERATIONS, bytes(40), (entry,), nonce, b"")
    if flip is not None:
        changed = bytearray(ciphertext)
        changed[flip % len(changed)] ^= 0x01
        ciphertext = bytes(changed)
    body, tag = ciphertext[:-16], ciphertext[-16:]
    points = sorted({c % (len(body) + 1) for c in cuts} | {0, len(body)})
    chunks = [body[a:b] for a, b in itertools.pairwise(points)]
    if flip is None:
        assert b"".join(seal.unseal_file(manifest, entry, key, chunks, tag)) == plain
    else:
        with pytest.raises(RuleError, match="解密失败"):
            b"".join(seal.unseal_file(manifest, entry, key, chunks, tag))


# --- QQ-SEAL-2: chunks -----------------------------------------------------------------------

BIG = pdf_bytes("big", 2 * seal.CHUNK_SIZE + 12345)  # three chunks, the last short
SMALL = pdf_bytes("small", 3000)


@pytest.fixture(scope="module")
def sealed2():
    return sealed_bid(
        42,
        USCC,
        files=[
            seal.PlainFile("技术标", "技术标.pdf", BIG),
            seal.PlainFile("商务标", "b.pdf", SMALL),
        ],
    )


def _open2(sealed_, data=None):
    manifest = seal.manifest_check(data or sealed_.manifest, max_file_bytes=MAX)
    return manifest, seal.unwrap_key(manifest, PASSPHRASE)


def _pieces(ciphertext: bytes) -> list[bytes]:
    step = seal.CHUNK_SIZE + seal.TAG_BYTES
    return [ciphertext[i : i + step] for i in range(0, len(ciphertext), step)]


def test_seal2_is_the_default_and_round_trips_chunk_by_chunk(sealed2):
    assert sealed2.manifest["version"] == "QQ-SEAL-2"
    assert sealed2.manifest["chunk_size"] == 1048576
    manifest, key = _open2(sealed2)
    big, small = manifest.files
    assert big.ciphertext_size == len(BIG) + 3 * 16 and small.ciphertext_size == len(SMALL) + 16
    assert big.sha256 == hashlib.sha256(BIG).hexdigest()
    for entry, ct, original in zip(manifest.files, sealed2.ciphertexts, [BIG, SMALL], strict=True):
        pieces = list(seal.unseal_stream(manifest, entry, key, io.BytesIO(ct)))
        assert b"".join(pieces) == original
        assert max(len(p) for p in pieces) <= seal.CHUNK_SIZE  # bounded: one chunk at a time
    assert seal.unseal_schedule(manifest, key).price == Decimal("12345678.90")


def test_seal2_layout_from_first_principles(sealed2):
    """Chunk j = AES-GCM(K, prefix ‖ uint32be(j), plaintext chunk, AAD) ‖ tag, the AAD naming
    the version, section, bidder, role, index and whether it is the last chunk."""
    m = sealed2.manifest
    salt = base64.b64decode(m["kdf"]["salt"])
    kek = hashlib.pbkdf2_hmac("sha256", PASSPHRASE.encode(), salt, 600_000, 32)
    key = aes_key_unwrap(kek, base64.b64decode(m["key_wrap"]["wrapped_key"]))
    prefix = base64.b64decode(m["files"][0]["nonce_prefix"])
    pieces = _pieces(sealed2.ciphertexts[0])
    assert len(pieces) == 3
    plain = b""
    for j, piece in enumerate(pieces):
        aad = f"QQ-SEAL-2|42|{USCC}|技术标|{j}|{int(j == 2)}".encode()
        plain += AESGCM(key).decrypt(prefix + j.to_bytes(4, "big"), piece, aad)
    assert plain == BIG
    assert hashlib.sha256(sealed2.ciphertexts[0]).hexdigest() == m["files"][0]["ciphertext_sha256"]
    schedule = AESGCM(key).decrypt(
        base64.b64decode(m["schedule"]["nonce"]),
        base64.b64decode(m["schedule"]["ciphertext"]),
        f"QQ-SEAL-2|42|{USCC}|开标一览表|-".encode(),
    )
    assert json.loads(schedule)["price"] == "12345678.90"


def test_seal2_an_empty_file_is_one_empty_chunk():
    key, prefix = bytes(32), bytes(8)
    out = list(
        seal.seal_chunks(
            key, prefix, section=1, bidder=USCC, role="商务标", plain_chunks=[b""], size=0
        )
    )
    assert [len(c) for c in out] == [16] and seal.chunk_count(0) == 1
    assert seal.chunk_count(seal.CHUNK_SIZE) == 1 and seal.chunk_count(seal.CHUNK_SIZE + 1) == 2


def _tampered(sealed2, ciphertext: bytes, match: str, data=None):
    manifest, key = _open2(sealed2, data)
    with pytest.raises(RuleError, match=match):
        b"".join(seal.unseal_stream(manifest, manifest.files[0], key, io.BytesIO(ciphertext)))


def test_seal2_a_flipped_byte_in_any_chunk_is_found(sealed2):
    for where in (5, seal.CHUNK_SIZE + 20, len(sealed2.ciphertexts[0]) - 1):
        tampered = bytearray(sealed2.ciphertexts[0])
        tampered[where] ^= 0x40
        _tampered(sealed2, bytes(tampered), "被改动、调换")


def test_seal2_swapped_chunks_are_found(sealed2):
    a, b, c = _pieces(sealed2.ciphertexts[0])
    _tampered(sealed2, b + a + c, "第 1 块密文被改动、调换")


def test_seal2_a_truncated_last_chunk_is_found(sealed2):
    ct = sealed2.ciphertexts[0]
    _tampered(sealed2, ct[:-1], "长度与回执不符")
    # the last chunk dropped and the manifest's sizes made to agree: the last-chunk flag fails
    a, b, _ = _pieces(ct)
    data = copy.deepcopy(sealed2.manifest)
    data["files"][0].update(size=2 * seal.CHUNK_SIZE, ciphertext_size=len(a + b))
    _tampered(sealed2, a + b, "第 2 块密文被改动、调换", data)


def test_seal2_a_chunk_from_another_file_is_found(sealed2):
    a, b, _ = _pieces(sealed2.ciphertexts[0])
    other = sealed2.ciphertexts[1]  # the other file's only (last) chunk
    data = copy.deepcopy(sealed2.manifest)
    data["files"][0].update(
        size=2 * seal.CHUNK_SIZE + len(other) - 16,
        ciphertext_size=len(a + b + other),
    )
    _tampered(sealed2, a + b + other, "第 3 块密文被改动、调换", data)


def test_seal2_manifest_checks_the_chunked_sizes(sealed2):
    data = copy.deepcopy(sealed2.manifest)
    data["files"][0]["ciphertext_size"] -= 16
    with pytest.raises(RuleError, match="应多 48 字节"):
        seal.manifest_check(data, max_file_bytes=MAX)
    data = copy.deepcopy(sealed2.manifest)
    data["files"][0].pop("nonce_prefix")
    with pytest.raises(RuleError, match="nonce_prefix"):
        seal.manifest_check(data, max_file_bytes=MAX)
    data = copy.deepcopy(sealed2.manifest)
    data["chunk_size"] = 65536
    with pytest.raises(RuleError, match="chunk_size"):
        seal.manifest_check(data, max_file_bytes=MAX)
