"""Protection of personal data at rest (PIPL): authenticated encryption and keyed hashes.

Keys come from `QINQING_DATA_KEYS`: a comma-separated list of 32-byte keys in URL-safe base64.
The first encrypts and keys the hashes; every key decrypts. Each ciphertext names its key by a
fingerprint (`v2:<kid>:…`), so a backup knows which keys it needs and a restore refuses to run
without them. To rotate: put a new key first, run `qinqing rotate_keys` (re-encrypts and
re-hashes), then drop the old key.

Without `QINQING_DATA_KEYS` (development, tests) the key is derived from `QINQING_PII_KEY` or
`SECRET_KEY` with HKDF, as the first release did; the start-up check refuses that outside DEBUG
(`qinqing.core.checks`). Ciphertexts of the first release (`v1:…`, under that derived key) are
still read, and `rotate_keys` rewrites them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_VERSION = "v2"
_LEGACY = "v1"


class MissingKeyError(LookupError):
    """A ciphertext's key is not configured here (`kid` names it)."""

    def __init__(self, kid: str) -> None:
        super().__init__(f"数据密钥 {kid} 未配置（QINQING_DATA_KEYS）")
        self.kid = kid


@dataclass(frozen=True)
class DataKey:
    kid: str
    encrypt: bytes  # AES-256-GCM key
    mac: bytes  # HMAC-SHA256 key of keyed_hash
    configured: bool  # from QINQING_DATA_KEYS (else derived from SECRET_KEY)


def _hkdf(master: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(master)


def _fingerprint(encrypt_key: bytes) -> str:
    return hashlib.sha256(b"qinqing-data-key:" + encrypt_key).hexdigest()[:12]


def parse_key(text: str) -> bytes:
    """A configured key: 32 bytes in URL-safe base64. Raises ValueError naming the fault."""
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("不是 URL-safe base64") from None
    if len(raw) != 32:
        raise ValueError(f"应为 32 字节，实为 {len(raw)} 字节")
    return raw


def new_key() -> str:
    """A fresh key for QINQING_DATA_KEYS."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@lru_cache(maxsize=8)
def _keys(configured: tuple[str, ...], legacy_master: bytes) -> tuple[DataKey, ...]:
    keys = []
    for text in configured:
        raw = parse_key(text)
        enc = _hkdf(raw, b"qinqing-data", b"encrypt")
        keys.append(DataKey(_fingerprint(enc), enc, _hkdf(raw, b"qinqing-data", b"hash"), True))
    enc = _hkdf(legacy_master, b"qinqing-pii", b"encrypt")
    keys.append(
        DataKey(_fingerprint(enc), enc, _hkdf(legacy_master, b"qinqing-pii", b"hash"), False)
    )
    return tuple(keys)


def _legacy_master() -> bytes:
    configured = os.environ.get("QINQING_PII_KEY")
    return base64.urlsafe_b64decode(configured) if configured else settings.SECRET_KEY.encode()


def data_keys() -> tuple[DataKey, ...]:
    """The keys this installation holds, the current one first; the key derived from
    SECRET_KEY comes last (it reads `v1` ciphertexts and is current only when none is set)."""
    return _keys(tuple(getattr(settings, "QINQING_DATA_KEYS", ()) or ()), _legacy_master())


def current_key() -> DataKey:
    return data_keys()[0]


def legacy_kid() -> str:
    return data_keys()[-1].kid


def _key_for(kid: str) -> DataKey:
    for key in data_keys():
        if key.kid == kid:
            return key
    raise MissingKeyError(kid)


def encrypt(plaintext: str) -> str:
    key = current_key()
    header = f"{_VERSION}:{key.kid}"
    nonce = os.urandom(12)
    sealed = AESGCM(key.encrypt).encrypt(nonce, plaintext.encode(), header.encode())
    return f"{header}:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def kid_of(token: str) -> str:
    """The fingerprint of the key a ciphertext was sealed with."""
    version, _, rest = token.partition(":")
    if version == _LEGACY:
        return legacy_kid()
    if version == _VERSION:
        return rest.partition(":")[0]
    raise ValueError("unknown ciphertext version")


def decrypt(token: str) -> str:
    version, _, rest = token.partition(":")
    if version == _LEGACY:
        key, header, payload = data_keys()[-1], _LEGACY, rest
    elif version == _VERSION:
        kid, _, payload = rest.partition(":")
        key, header = _key_for(kid), f"{_VERSION}:{kid}"
    else:
        raise ValueError("unknown ciphertext version")
    raw = base64.urlsafe_b64decode(payload)
    try:
        return AESGCM(key.encrypt).decrypt(raw[:12], raw[12:], header.encode()).decode()
    except InvalidTag:
        raise ValueError("ciphertext does not open with its key") from None


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 under the current key: finds duplicates without storing the value in clear."""
    return hmac.new(current_key().mac, value.encode(), hashlib.sha256).hexdigest()


# --- the encrypted columns, found by convention ---------------------------------------------


@dataclass(frozen=True)
class EncryptedColumn:
    """A `<name>_cipher` text column; `hash_field` is its `<name>_hash` keyed hash, if any."""

    model: type
    field: str
    hash_field: str | None


def encrypted_columns() -> list[EncryptedColumn]:
    from django.apps import apps

    out = []
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        for name in sorted(n for n in names if n.endswith("_cipher")):
            paired = name.removesuffix("_cipher") + "_hash"
            out.append(EncryptedColumn(model, name, paired if paired in names else None))
    return out


def kids_in_use(using: str = "default") -> set[str]:
    """The fingerprints of the keys the stored ciphertexts need (two short queries a column)."""
    from django.db.models.functions import Substr

    kids = set()
    for column in encrypted_columns():
        rows = column.model._default_manager.using(using)
        kids |= set(
            rows.filter(**{f"{column.field}__startswith": f"{_VERSION}:"})
            .annotate(_kid=Substr(column.field, len(_VERSION) + 2, 12))
            .values_list("_kid", flat=True)
            .distinct()
        )
        if rows.filter(**{f"{column.field}__startswith": f"{_LEGACY}:"}).exists():
            kids.add(legacy_kid())
    return kids


# --- the platform's signature (published documents: the audit anchors) -----------------------


def signing_key():
    """Ed25519 key of the platform: `QINQING_SIGNING_KEY` (a 32-byte seed, URL-safe base64),
    else derived from SECRET_KEY (development; the start-up check refuses that outside DEBUG)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    configured = getattr(settings, "QINQING_SIGNING_KEY", "")
    seed = (
        parse_key(configured)
        if configured
        else _hkdf(settings.SECRET_KEY.encode(), b"qinqing-signing", b"ed25519")
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_text(private=None) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = (private or signing_key()).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode()


def sign(data: bytes) -> str:
    return base64.urlsafe_b64encode(signing_key().sign(data)).decode()


def signature_valid(public_key: str, data: bytes, signature: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(public_key))
        key.verify(base64.urlsafe_b64decode(signature), data)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
