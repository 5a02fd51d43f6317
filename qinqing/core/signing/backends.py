"""Where a signing key lives. `QINQING_SIGNER_BACKEND`:

- ``"platform"`` (default): the platform's CA (`pki`) issues the certificate and keeps the key,
  sealed under the data keys;
- ``"pkcs11"``: a subject named in ``QINQING_PKCS11["keys"]`` (``"seal:<organisation code>"``
  or ``"person:<pseudonymous id>"`` → the key's label) signs with the key and certificate held
  in a PKCS#11 token (UKey, HSM) through pyHanko's `PKCS11Signer`; the certificate is the one a
  real CA issued to the centre. Anyone not named there still signs with the platform's CA.
  ``QINQING_PKCS11 = {"module": "/usr/lib/…/libxxx.so", "token_label": "…",
  "pin_env": "QINQING_PKCS11_PIN", "keys": {...}}``; it needs the `python-pkcs11` package.
  Not exercised by the tests here (no token on the build machine): docs/signatures.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from qinqing.core.errors import ConflictError
from qinqing.core.models import Organisation, SigningCertificate
from qinqing.core.signing import pki


@dataclass
class SignerHandle:
    signer: object  # a pyhanko.sign.signers.Signer
    serial: str  # hex, of the certificate the signature carries
    common_name: str
    certificate: SigningCertificate | None  # the platform's row; None for a token's own
    close: Callable[[], None] = field(default=lambda: None)


BACKENDS = ("platform", "pkcs11")


def backend() -> str:
    name = getattr(settings, "QINQING_SIGNER_BACKEND", "platform") or "platform"
    if name not in BACKENDS:
        raise ImproperlyConfigured(f"QINQING_SIGNER_BACKEND must be one of {BACKENDS}")
    return name


def _asn1_cert(row: SigningCertificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(
        pki.certificate_of(row).public_bytes(serialization.Encoding.DER)
    )


def platform_signer(row: SigningCertificate) -> SignerHandle:
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = pki.private_key_of(row).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = SimpleSigner(
        signing_cert=_asn1_cert(row),
        signing_key=asn1_keys.PrivateKeyInfo.load(key),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(row.issuer)]),
    )
    return SignerHandle(signer, row.serial, row.common_name, row)


def _pkcs11_signer(label: str) -> SignerHandle:
    conf = getattr(settings, "QINQING_PKCS11", {}) or {}
    try:
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11  # needs python-pkcs11

        session = pkcs11.open_pkcs11_session(
            conf["module"],
            token_criteria=TokenCriteria(label=conf.get("token_label")),
            user_pin=os.environ.get(conf.get("pin_env", "QINQING_PKCS11_PIN")),
        )
        signer = pkcs11.PKCS11Signer(session, cert_label=label, key_label=label)
        cert = signer.signing_cert
    except Exception as exc:  # no library, no token, locked, a wrong PIN or label
        raise ConflictError(f"无法使用 PKCS#11 令牌（UKey）签名：{exc}") from exc
    name = cert.subject.native.get("common_name", label)
    return SignerHandle(signer, format(cert.serial_number, "x"), name, None, session.close)


def signer_for(
    *,
    actor,
    kind: str,
    subject_key: str,
    name: str,
    organisation: Organisation | None = None,
) -> SignerHandle:
    """The signer of one subject under the configured backend (issuing a platform certificate
    on demand where the platform's CA signs)."""
    if backend() == "pkcs11":
        labels = (getattr(settings, "QINQING_PKCS11", {}) or {}).get("keys", {})
        label = labels.get(f"{kind}:{subject_key}")
        if label:
            return _pkcs11_signer(label)
    row = pki.certificate_for(
        actor=actor, kind=kind, subject_key=subject_key, name=name, organisation=organisation
    )
    return platform_signer(row)
