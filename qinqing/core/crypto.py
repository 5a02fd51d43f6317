"""Protection of personal data at rest (PIPL): authenticated encryption and keyed hashes.

The key comes from QINQING_PII_KEY (32 bytes, URL-safe base64) or, when unset, is derived from
SECRET_KEY with HKDF, so a development install needs no extra set-up. Rotating SECRET_KEY
without setting QINQING_PII_KEY makes stored ciphertexts unreadable: production sets both.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_VERSION = "v1"


def _key(purpose: bytes) -> bytes:
    configured = os.environ.get("QINQING_PII_KEY")
    master = base64.urlsafe_b64decode(configured) if configured else settings.SECRET_KEY.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"qinqing-pii", info=purpose).derive(
        master
    )


def encrypt(plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(b"encrypt")).encrypt(nonce, plaintext.encode(), _VERSION.encode())
    return f"{_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    version, _, payload = token.partition(":")
    if version != _VERSION:
        raise ValueError("unknown ciphertext version")
    raw = base64.urlsafe_b64decode(payload)
    return AESGCM(_key(b"encrypt")).decrypt(raw[:12], raw[12:], version.encode()).decode()


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 under the PII key: finds duplicates without storing the value in clear."""
    return hmac.new(_key(b"hash"), value.encode(), hashlib.sha256).hexdigest()
