"""QQ-SEAL-2 and QQ-SEAL-1: the sealed electronic bid (docs/sealed-bids.md is the
specification).

Pure Python on the `cryptography` package, no Django: the browser (static/bidding/bid_seal.js,
WebCrypto), `qinqing bid_seal` and the opening all speak these formats. QQ-SEAL-2 (the default)
encrypts each file in chunks of 1 MiB, each its own AES-256-GCM message, so a browser can seal
and upload a file of any size holding only a few chunks; QQ-SEAL-1 (one GCM message per file)
is still read and accepted. Below, the QQ-SEAL-1 description:

- One random 256-bit content key per bid. Each file is AES-256-GCM under it with its own random
  96-bit nonce; the stored ciphertext is exactly WebCrypto's output: the encrypted bytes followed
  by the 16-byte tag (so its length is the plaintext's + 16). The associated data binds the file
  to its section, its bidder, its role and its plaintext's SHA-256 (`associated_data`).
- The opening schedule (开标一览表) is canonical JSON encrypted the same way (role 开标一览表, no
  plaintext hash published: a price is guessable, a hash of it would reveal it).
- The content key is wrapped with AES-KW (RFC 3394) under a key derived from the bidder's
  passphrase: PBKDF2-HMAC-SHA256, 600,000 iterations, a random 16-byte salt, 32 bytes. The
  passphrase is NFC-normalised and encoded in UTF-8.

The platform keeps the manifest (hashes, nonces, salt, wrapped key), the ciphertexts and the
ciphertexts' SHA-256; never the passphrase nor the content key.

电子招标投标办法 Art.24: the platform lets bidders prepare bids offline and encrypt them, and
refuses a bid not encrypted as required; Art.26: nobody decrypts a bid before the deadline.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from qinqing.bidding.rules import RuleError

FORMAT_1 = "QQ-SEAL-1"
FORMAT_2 = "QQ-SEAL-2"
FORMAT = FORMAT_2  # what seal() writes unless told otherwise
FORMATS = (FORMAT_1, FORMAT_2)
NONCE_PREFIX_BYTES = 8  # QQ-SEAL-2: per file; the chunk's index completes the 96-bit nonce
MAX_CHUNKS = 2**32
ITERATIONS = 600_000
SALT_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
WRAPPED_KEY_BYTES = KEY_BYTES + 8
ROLES = ("商务标", "技术标", "资格审查资料")
SCHEDULE_ROLE = "开标一览表"
PDF_MAGIC = b"%PDF-"
MAX_FILES = 9
MIN_PASSPHRASE = 8
CHUNK = 1024 * 1024
CHUNK_SIZE = CHUNK  # QQ-SEAL-2's plaintext chunk: exactly 1 MiB (the last may be shorter)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_PRICE = re.compile(r"(0|[1-9][0-9]{0,15})(\.[0-9]{1,2})?")


@dataclass(frozen=True)
class DeclaredItem:
    name: str
    value: str


@dataclass(frozen=True)
class ResponseRef:
    """One row of the bidder's response table (响应表): where in its files the bid answers a
    scoring criterion of the tender documents (by the criterion's code, e.g. ``T1``)."""

    criterion: str
    file: str
    page: int


@dataclass(frozen=True)
class Schedule:
    """The opening schedule (开标一览表) read out at the opening (招标投标法 Art.36), with the
    optional response table (QQ-SEAL-1 §4, ``responses``)."""

    price: Decimal
    duration_days: int
    quality: str
    project_manager: str
    declared_items: tuple[DeclaredItem, ...] = ()
    responses: tuple[ResponseRef, ...] = ()


@dataclass(frozen=True)
class FileEntry:
    role: str
    name: str
    size: int
    sha256: str
    nonce: bytes  # QQ-SEAL-1: the 12-byte nonce; QQ-SEAL-2: the 8-byte nonce prefix
    ciphertext_size: int
    ciphertext_sha256: str


@dataclass(frozen=True)
class Manifest:
    section: int
    bidder: str
    salt: bytes
    iterations: int
    wrapped_key: bytes
    files: tuple[FileEntry, ...]
    schedule_nonce: bytes
    schedule_ciphertext: bytes
    version: str = FORMAT_1
    chunk_size: int = 0  # QQ-SEAL-2 only


@dataclass(frozen=True)
class PlainFile:
    role: str
    name: str
    data: bytes


@dataclass(frozen=True)
class Sealed:
    manifest: dict
    ciphertexts: tuple[bytes, ...]


# --- the pieces ---------------------------------------------------------------------------


def b64(data: bytes) -> str:
    """Standard Base64 with padding, as the manifest writes bytes (QQ-SEAL-1 §1)."""
    return base64.b64encode(data).decode("ascii")


def _unb64(value, field: str, length: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise RuleError(f"密封清单的 {field} 缺失或不是 Base64 文本")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise RuleError(f"密封清单的 {field} 不是有效的 Base64") from None
    if length is not None and len(data) != length:
        raise RuleError(f"密封清单的 {field} 长度应为 {length} 字节，实为 {len(data)} 字节")
    return data


def passphrase_bytes(passphrase: str) -> bytes:
    """The passphrase as the KDF takes it: NFC, UTF-8 (QQ-SEAL-1 §2; 电子招标投标办法 Art.24:
    the bidder encrypts its own bid)."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def derive_kek(passphrase: str, salt: bytes, iterations: int = ITERATIONS) -> bytes:
    """The key-encryption key: PBKDF2-HMAC-SHA256(passphrase, salt, iterations, 32 bytes)
    (QQ-SEAL-1 §2; 电子招标投标办法 Art.24)."""
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, iterations=iterations)
    return kdf.derive(passphrase_bytes(passphrase))


def associated_data(section: int, bidder: str, role: str, sha256: str) -> bytes:
    """The GCM associated data of one part (QQ-SEAL-1 §3, §4; 电子招标投标办法 Art.26: a file
    cannot be moved to another bid, section or role unnoticed): UTF-8 of
    ``QQ-SEAL-1|<section id>|<bidder USCC>|<role>|<plaintext SHA-256, lowercase hex>``; for the
    opening schedule the hash is ``-``."""
    return f"{FORMAT_1}|{section}|{bidder}|{role}|{sha256}".encode()


def schedule_associated_data(version: str, section: int, bidder: str) -> bytes:
    """The opening schedule's associated data (QQ-SEAL-1 §4, QQ-SEAL-2 §4; 电子招标投标办法
    Art.26): ``<version>|<section>|<bidder>|开标一览表|-``."""
    return f"{version}|{section}|{bidder}|{SCHEDULE_ROLE}|-".encode()


def chunk_count(size: int, chunk_size: int = CHUNK_SIZE) -> int:
    """How many chunks a QQ-SEAL-2 file of `size` plaintext bytes has: ceil(size / chunk),
    at least one (an empty file is one empty chunk) (QQ-SEAL-2 §3)."""
    return max(1, -(-size // chunk_size))


def chunk_nonce(prefix: bytes, index: int) -> bytes:
    """The 96-bit GCM nonce of chunk `index`: the file's 8-byte random prefix ‖ the index as
    uint32 big-endian (QQ-SEAL-2 §3; NIST SP 800-38D §8.2.1, deterministic construction)."""
    return prefix + index.to_bytes(4, "big")


def chunk_associated_data(section: int, bidder: str, role: str, index: int, last: bool) -> bytes:
    """The associated data of one QQ-SEAL-2 chunk (QQ-SEAL-2 §3; 电子招标投标办法 Art.26: a
    chunk cannot be moved to another bid, section, role or place, nor the file cut short,
    unnoticed): UTF-8 of ``QQ-SEAL-2|<section>|<bidder>|<role>|<index>|<1 if last else 0>``."""
    return f"{FORMAT_2}|{section}|{bidder}|{role}|{index}|{1 if last else 0}".encode()


def seal_chunks(
    key: bytes,
    prefix: bytes,
    *,
    section: int,
    bidder: str,
    role: str,
    plain_chunks: Iterable[bytes],
    size: int,
) -> Iterator[bytes]:
    """The ciphertext of one QQ-SEAL-2 file, chunk by chunk (each chunk's encrypted bytes ‖
    its 16-byte tag), from its plaintext in chunks of exactly CHUNK_SIZE bytes (the last
    shorter) and its total `size` (电子招标投标办法 Art.24)."""
    aead, total = AESGCM(key), chunk_count(size)
    index = 0
    for chunk in plain_chunks:
        last = index == total - 1
        yield aead.encrypt(
            chunk_nonce(prefix, index),
            chunk,
            chunk_associated_data(section, bidder, role, index, last),
        )
        index += 1
    if index != total:
        raise RuleError("文件的长度与分块数不符")


def schedule_json(schedule: Schedule) -> bytes:
    """The schedule's plaintext: JSON, keys sorted, no spaces, UTF-8 (QQ-SEAL-1 §4; 招标投标法
    Art.36: read out at the opening)."""
    body = {
        "price": format(schedule.price, "f"),
        "duration_days": schedule.duration_days,
        "quality": schedule.quality,
        "project_manager": schedule.project_manager,
        "declared_items": [{"name": i.name, "value": i.value} for i in schedule.declared_items],
    }
    if schedule.responses:  # optional: a schedule without it is byte for byte the older one
        body["responses"] = [
            {"criterion": r.criterion, "file": r.file, "page": r.page} for r in schedule.responses
        ]
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _text(value, field: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleError(f"开标一览表的“{field}”不能为空")
    value = value.strip()
    if len(value) > max_length:
        raise RuleError(f"开标一览表的“{field}”不能超过 {max_length} 个字符")
    return value


def schedule_check(data: dict) -> Schedule:
    """The opening schedule from its JSON object, checked: the price a Decimal string of at
    most two places, greater than zero; the duration 1–3650 days; quality and project manager
    given; at most 50 declared items (招标投标法 Art.27: the bid answers the tender's
    substantive requirements)."""
    if not isinstance(data, dict):
        raise RuleError("开标一览表应为 JSON 对象")
    price_text = data.get("price")
    if not isinstance(price_text, str) or not _PRICE.fullmatch(price_text):
        raise RuleError('投标报价须为以元为单位、最多两位小数的数字文本，如 "1234567.89"')
    try:
        price = Decimal(price_text)
    except InvalidOperation:
        raise RuleError("投标报价不是有效的金额") from None
    if price <= 0:
        raise RuleError("投标报价须大于零")
    duration = data.get("duration_days")
    if not isinstance(duration, int) or isinstance(duration, bool) or not 1 <= duration <= 3650:
        raise RuleError("工期须为 1 至 3650 之间的整数（日历天）")
    items = data.get("declared_items", [])
    if not isinstance(items, list) or len(items) > 50:
        raise RuleError("声明事项应为列表，最多 50 项")
    declared = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise RuleError(f"第 {n} 项声明事项应为含 name、value 的对象")
        declared.append(
            DeclaredItem(
                _text(item.get("name"), f"声明事项 {n} 名称", 100),
                _text(item.get("value"), f"声明事项 {n} 内容", 500),
            )
        )
    return Schedule(
        price=price,
        duration_days=duration,
        quality=_text(data.get("quality"), "质量", 100),
        project_manager=_text(data.get("project_manager"), "项目经理", 50),
        declared_items=tuple(declared),
        responses=responses_check(data.get("responses", [])),
    )


MAX_RESPONSES = 500
MAX_PAGE = 100_000


def responses_check(items) -> tuple[ResponseRef, ...]:
    """The optional response table (响应表) of the schedule: at most 500 rows, each a
    criterion code (1–20 characters), the name of one of the bid's files and a page number
    1–100,000 (招标投标法 Art.27: the bid answers each substantive requirement of the tender
    documents; the table says where)."""
    if not isinstance(items, list) or len(items) > MAX_RESPONSES:
        raise RuleError(f"响应表（responses）应为列表，最多 {MAX_RESPONSES} 项")
    out = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise RuleError(f"响应表第 {n} 项应为含 criterion、file、page 的对象")
        page = item.get("page")
        if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= MAX_PAGE:
            raise RuleError(f"响应表第 {n} 项的页码（page）须为 1 至 {MAX_PAGE} 之间的整数")
        out.append(
            ResponseRef(
                _text(item.get("criterion"), f"响应表第 {n} 项评审项编号", 20),
                _text(item.get("file"), f"响应表第 {n} 项文件名", 200),
                page,
            )
        )
    return tuple(out)


def is_pdf(head: bytes) -> bool:
    """The file starts with the PDF signature ``%PDF-`` (ISO 32000-1 §7.5.2)."""
    return head[: len(PDF_MAGIC)] == PDF_MAGIC


# --- sealing -------------------------------------------------------------------------------


def seal(
    *,
    section: int,
    bidder: str,
    passphrase: str,
    files: Iterable[PlainFile],
    schedule: Schedule,
    iterations: int = ITERATIONS,
    random_bytes: Callable[[int], bytes] = os.urandom,
    version: str = FORMAT,
) -> Sealed:
    """Seal a bid in QQ-SEAL-2 (or, asked, QQ-SEAL-1) (电子招标投标办法 Art.24): every file a
    PDF with one of the three roles, the passphrase at least 8 characters."""
    if version not in FORMATS:
        raise RuleError(f"密封格式应为 {' 或 '.join(FORMATS)}")
    files = list(files)
    if len(passphrase) < MIN_PASSPHRASE:
        raise RuleError(f"解密口令至少 {MIN_PASSPHRASE} 个字符")
    if not files:
        raise RuleError("请至少选择一个投标文件（PDF）")
    if len(files) > MAX_FILES:
        raise RuleError(f"投标文件最多 {MAX_FILES} 个")
    for f in files:
        if f.role not in ROLES:
            raise RuleError(f"文件“{f.name}”的类别须为{'、'.join(ROLES)}之一")
        if not is_pdf(f.data):
            raise RuleError(f"文件“{f.name}”不是 PDF（文件头不是 %PDF-），未密封")
    schedule_check(json.loads(schedule_json(schedule)))
    names = {f.name for f in files}
    for n, r in enumerate(schedule.responses, start=1):
        if r.file not in names:
            raise RuleError(f"响应表第 {n} 项指向的文件“{r.file}”不在本投标文件中")
    key = random_bytes(KEY_BYTES)
    salt = random_bytes(SALT_BYTES)
    aead = AESGCM(key)
    entries, ciphertexts = [], []
    for f in files:
        sha = hashlib.sha256(f.data).hexdigest()
        if version == FORMAT_1:
            nonce = random_bytes(NONCE_BYTES)
            ciphertext = aead.encrypt(nonce, f.data, associated_data(section, bidder, f.role, sha))
            nonce_field = {"nonce": b64(nonce)}
        else:
            prefix = random_bytes(NONCE_PREFIX_BYTES)
            view = memoryview(f.data)
            pieces = (
                bytes(view[i : i + CHUNK_SIZE]) for i in range(0, max(len(f.data), 1), CHUNK_SIZE)
            )
            ciphertext = b"".join(
                seal_chunks(
                    key,
                    prefix,
                    section=section,
                    bidder=bidder,
                    role=f.role,
                    plain_chunks=pieces,
                    size=len(f.data),
                )
            )
            nonce_field = {"nonce_prefix": b64(prefix)}
        ciphertexts.append(ciphertext)
        entries.append(
            {
                "role": f.role,
                "name": f.name,
                "size": len(f.data),
                "sha256": sha,
                **nonce_field,
                "ciphertext_size": len(ciphertext),
                "ciphertext_sha256": hashlib.sha256(ciphertext).hexdigest(),
            }
        )
    schedule_nonce = random_bytes(NONCE_BYTES)
    schedule_ciphertext = aead.encrypt(
        schedule_nonce,
        schedule_json(schedule),
        schedule_associated_data(version, section, bidder),
    )
    wrapped = aes_key_wrap(derive_kek(passphrase, salt, iterations), key)
    manifest = {
        "version": version,
        "section": section,
        "bidder": bidder,
        "kdf": {"name": "PBKDF2-SHA256", "iterations": iterations, "salt": b64(salt)},
        "key_wrap": {"name": "AES-KW", "wrapped_key": b64(wrapped)},
        "files": entries,
        "schedule": {"nonce": b64(schedule_nonce), "ciphertext": b64(schedule_ciphertext)},
    }
    if version == FORMAT_2:
        manifest["chunk_size"] = CHUNK_SIZE
    return Sealed(manifest=manifest, ciphertexts=tuple(ciphertexts))


# --- reading a manifest ----------------------------------------------------------------------


def _hex64(value, field: str) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise RuleError(f"密封清单的 {field} 应为 64 位小写十六进制的 SHA-256")
    return value


def _size(value, field: str, cap: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RuleError(f"密封清单的 {field} 应为非负整数")
    if value > cap:
        raise RuleError(f"文件过大：{field} 为 {value} 字节，上限 {cap} 字节")
    return value


def manifest_check(data, *, max_file_bytes: int) -> Manifest:
    """The manifest, every field checked (QQ-SEAL-1 §5, QQ-SEAL-2 §5); a RuleError names the
    first wrong field. Files are named *.pdf, of the three roles, at most `max_file_bytes`
    each, and each ciphertext is its plaintext's length + 16 per GCM message (one per file in
    QQ-SEAL-1, one per chunk in QQ-SEAL-2) (电子招标投标办法 Art.24: a bid not encrypted as
    required is refused)."""
    if not isinstance(data, dict):
        raise RuleError("密封清单应为 JSON 对象")
    version = data.get("version")
    if version not in FORMATS:
        raise RuleError(f"密封清单的 version 应为 {' 或 '.join(FORMATS)}")
    chunk_size = 0
    if version == FORMAT_2:
        chunk_size = data.get("chunk_size")
        if chunk_size != CHUNK_SIZE or isinstance(chunk_size, bool):
            raise RuleError(f"密封清单的 chunk_size 应为 {CHUNK_SIZE}")
    section = data.get("section")
    if not isinstance(section, int) or isinstance(section, bool) or section <= 0:
        raise RuleError("密封清单的 section 应为标段编号（正整数）")
    bidder = data.get("bidder")
    if not isinstance(bidder, str) or not _USCC.fullmatch(bidder):
        raise RuleError("密封清单的 bidder 应为投标人的 18 位统一社会信用代码")
    kdf = data.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "PBKDF2-SHA256":
        raise RuleError("密封清单的 kdf.name 应为 PBKDF2-SHA256")
    if kdf.get("iterations") != ITERATIONS:
        raise RuleError(f"密封清单的 kdf.iterations 应为 {ITERATIONS}")
    salt = _unb64(kdf.get("salt"), "kdf.salt", SALT_BYTES)
    wrap = data.get("key_wrap")
    if not isinstance(wrap, dict) or wrap.get("name") != "AES-KW":
        raise RuleError("密封清单的 key_wrap.name 应为 AES-KW")
    wrapped = _unb64(wrap.get("wrapped_key"), "key_wrap.wrapped_key", WRAPPED_KEY_BYTES)
    files = data.get("files")
    if not isinstance(files, list) or not files:
        raise RuleError("密封清单的 files 应为至少含一个文件的列表")
    if len(files) > MAX_FILES:
        raise RuleError(f"投标文件最多 {MAX_FILES} 个")
    entries = []
    for n, f in enumerate(files):
        where = f"files[{n}]"
        if not isinstance(f, dict):
            raise RuleError(f"密封清单的 {where} 应为对象")
        role = f.get("role")
        if role not in ROLES:
            raise RuleError(f"密封清单的 {where}.role 应为{'、'.join(ROLES)}之一")
        name = f.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise RuleError(f"密封清单的 {where}.name 应为 1–200 个字符的文件名")
        if not name.lower().endswith(".pdf") or "/" in name or "\\" in name:
            raise RuleError(f"文件“{name[:200]}”不是 PDF：投标文件须为 .pdf 文件")
        size = _size(f.get("size"), f"{where}.size", max_file_bytes)
        if size < len(PDF_MAGIC):
            raise RuleError(f"文件“{name}”过小，不是有效的 PDF")
        overhead = TAG_BYTES * (chunk_count(size) if version == FORMAT_2 else 1)
        ct_size = _size(
            f.get("ciphertext_size"),
            f"{where}.ciphertext_size",
            max_file_bytes + TAG_BYTES * chunk_count(max_file_bytes),
        )
        if ct_size != size + overhead:
            raise RuleError(
                f"文件“{name}”的密文长度 {ct_size} 与明文长度 {size} 不符（应多 {overhead} 字节）"
            )
        if version == FORMAT_2:
            nonce = _unb64(f.get("nonce_prefix"), f"{where}.nonce_prefix", NONCE_PREFIX_BYTES)
        else:
            nonce = _unb64(f.get("nonce"), f"{where}.nonce", NONCE_BYTES)
        entries.append(
            FileEntry(
                role=role,
                name=name.strip(),
                size=size,
                sha256=_hex64(f.get("sha256"), f"{where}.sha256"),
                nonce=nonce,
                ciphertext_size=ct_size,
                ciphertext_sha256=_hex64(f.get("ciphertext_sha256"), f"{where}.ciphertext_sha256"),
            )
        )
    schedule = data.get("schedule")
    if not isinstance(schedule, dict):
        raise RuleError("密封清单缺少加密的开标一览表（schedule）")
    schedule_ct = _unb64(schedule.get("ciphertext"), "schedule.ciphertext")
    if not TAG_BYTES < len(schedule_ct) <= 64 * 1024:
        raise RuleError("密封清单的 schedule.ciphertext 长度不对")
    return Manifest(
        section=section,
        bidder=bidder,
        salt=salt,
        iterations=ITERATIONS,
        wrapped_key=wrapped,
        files=tuple(entries),
        schedule_nonce=_unb64(schedule.get("nonce"), "schedule.nonce", NONCE_BYTES),
        schedule_ciphertext=schedule_ct,
        version=version,
        chunk_size=chunk_size,
    )


# --- unsealing (the opening) -----------------------------------------------------------------


def unwrap_key(manifest: Manifest, passphrase: str) -> bytes:
    """The content key from the passphrase (QQ-SEAL-1 §7; 电子招标投标办法 Art.30: the bidder
    decrypts its own bid at the opening); a wrong passphrase fails AES-KW's integrity check."""
    try:
        return aes_key_unwrap(
            derive_kek(passphrase, manifest.salt, manifest.iterations), manifest.wrapped_key
        )
    except InvalidUnwrap:
        raise RuleError("解密口令不正确") from None


def unseal_schedule(manifest: Manifest, key: bytes) -> Schedule:
    """The opening schedule, decrypted and checked (招标投标法 Art.36: read out at the opening)."""
    try:
        plain = AESGCM(key).decrypt(
            manifest.schedule_nonce,
            manifest.schedule_ciphertext,
            schedule_associated_data(manifest.version, manifest.section, manifest.bidder),
        )
    except InvalidTag:
        raise RuleError("开标一览表解密失败：密文或密钥不符") from None
    try:
        data = json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise RuleError("开标一览表解密后不是 JSON") from None
    return schedule_check(data)


def unseal_file(
    manifest: Manifest, entry: FileEntry, key: bytes, chunks: Iterable[bytes], tag: bytes
) -> Iterator[bytes]:
    """The plaintext of one file, streamed chunk by chunk from its ciphertext without the tag
    (`chunks`) and its 16-byte tag; the last step verifies the tag, then the plaintext's length
    and SHA-256 against the manifest (the receipt's hash). Raises RuleError on any mismatch:
    the caller must discard what it was given (电子招标投标办法 Art.26, 招标投标法 Art.36)."""
    decryptor = Cipher(algorithms.AES(key), modes.GCM(entry.nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(
        associated_data(manifest.section, manifest.bidder, entry.role, entry.sha256)
    )
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        plain = decryptor.update(chunk)
        digest.update(plain)
        size += len(plain)
        yield plain
    try:
        decryptor.finalize()
    except InvalidTag:
        raise RuleError(f"文件“{entry.name}”解密失败：密文被改动或与回执不符") from None
    if size != entry.size or digest.hexdigest() != entry.sha256:
        raise RuleError(f"文件“{entry.name}”解密后与回执中的 SHA-256 不符")


def unseal_chunks(manifest: Manifest, entry: FileEntry, key: bytes, fileobj) -> Iterator[bytes]:
    """The plaintext of one QQ-SEAL-2 file read from a binary file of its ciphertext, chunk by
    chunk (memory: one chunk): each chunk is authenticated before its plaintext is yielded, the
    last one must carry the last-chunk flag, then the plaintext's length and SHA-256 must equal
    the manifest's (the receipt's). Raises RuleError on any mismatch: the caller discards what
    it was given (QQ-SEAL-2 §7; 电子招标投标办法 Art.26, 招标投标法 Art.36)."""
    aead = AESGCM(key)
    total = chunk_count(entry.size, manifest.chunk_size)
    digest, size = hashlib.sha256(), 0
    for index in range(total):
        last = index == total - 1
        want = entry.size - index * manifest.chunk_size if last else manifest.chunk_size
        data = fileobj.read(want + TAG_BYTES)
        if len(data) != want + TAG_BYTES:
            raise RuleError(f"文件“{entry.name}”的密文不完整（第 {index + 1} 块）")
        try:
            plain = aead.decrypt(
                chunk_nonce(entry.nonce, index),
                data,
                chunk_associated_data(manifest.section, manifest.bidder, entry.role, index, last),
            )
        except InvalidTag:
            raise RuleError(
                f"文件“{entry.name}”解密失败：第 {index + 1} 块密文被改动、调换或与回执不符"
            ) from None
        digest.update(plain)
        size += len(plain)
        yield plain
    if fileobj.read(1):
        raise RuleError(f"文件“{entry.name}”的密文长度与回执不符")
    if size != entry.size or digest.hexdigest() != entry.sha256:
        raise RuleError(f"文件“{entry.name}”解密后与回执中的 SHA-256 不符")


def unseal_stream(manifest: Manifest, entry: FileEntry, key: bytes, fileobj) -> Iterator[bytes]:
    """The plaintext of one file of either format from a seekable binary file of its
    ciphertext, streamed with bounded memory. QQ-SEAL-2: `unseal_chunks`. QQ-SEAL-1
    (`unseal_file`): the tag is read from the last 16 bytes first, then the body is streamed
    in 1 MiB chunks (memory: one chunk)."""
    fileobj.seek(0, os.SEEK_END)
    if manifest.version == FORMAT_2:
        if fileobj.tell() != entry.ciphertext_size:
            raise RuleError(f"文件“{entry.name}”的密文长度与回执不符")
        fileobj.seek(0)
        yield from unseal_chunks(manifest, entry, key, fileobj)
        return
    if fileobj.tell() != entry.ciphertext_size:
        raise RuleError(f"文件“{entry.name}”的密文长度与回执不符")
    fileobj.seek(entry.ciphertext_size - TAG_BYTES)
    tag = fileobj.read(TAG_BYTES)
    fileobj.seek(0)
    remaining = entry.ciphertext_size - TAG_BYTES

    def body() -> Iterator[bytes]:
        nonlocal remaining
        while remaining > 0:
            chunk = fileobj.read(min(CHUNK, remaining))
            if not chunk:
                raise RuleError(f"文件“{entry.name}”的密文不完整")
            remaining -= len(chunk)
            yield chunk

    yield from unseal_file(manifest, entry, key, body(), tag)
