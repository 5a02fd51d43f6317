"""The platform's certificate authority: one root, per-person signing certificates and
per-organisation seal certificates, issued on demand, revocable, published with a CRL.

This CA is the platform's own (for the demo and for sites without a real CA): it is not an
electronic certification service licensed under the 电子签名法 (Art.17). A certificate says
"the platform vouches that this key was used for this person or organisation"; docs/signatures.md
says what that does and does not prove. Keys are ECDSA P-256; the private keys are sealed under
the data keys (`qinqing.core.crypto`, column `key_cipher`, re-encrypted by `rotate_keys`).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from qinqing.core import crypto
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation, SigningCertificate

Kind = SigningCertificate.Kind

ROOT_NAME = "亲清平台演示 CA"
ROOT_NOTE = "非依法设立的电子认证服务机构，仅供演示和无 CA 的站点"
ROOT_DAYS = 20 * 365
PERSON_DAYS = 2 * 365
SEAL_DAYS = 5 * 365
RENEW_BEFORE = timedelta(days=30)  # a certificate this close to its end is not used any more
CRL_DAYS = 7


def clock() -> datetime:
    """The real clock: certificates are checked against it, and pyHanko stamps each signature
    with it (never `timezone.now`, which the demo winds back to record past events)."""
    return datetime.now(tz=UTC)


def _setting(name: str, default):
    return getattr(settings, name, default)


def _serial() -> int:
    return secrets.randbits(127) | 1  # positive, at most 20 octets (RFC 5280 4.1.2.2)


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _key_text(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def certificate_of(row: SigningCertificate) -> x509.Certificate:
    return x509.load_pem_x509_certificate(row.certificate_pem.encode())


def private_key_of(row: SigningCertificate):
    """The private key, opened with the data keys; a token-held certificate has none here."""
    if not row.key_cipher:
        raise ConflictError("该证书的私钥不在平台（由 PKCS#11 令牌保管）")
    return serialization.load_pem_private_key(crypto.decrypt(row.key_cipher).encode(), None)


def fingerprint(row: SigningCertificate) -> str:
    """SHA-256 of the DER certificate, as colon-separated hex (what viewers show)."""
    digest = certificate_of(row).fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


# --- the root -------------------------------------------------------------------------------


def ca_root() -> SigningCertificate | None:
    """The root in force (not revoked), or None before `qinqing pki_init`."""
    return SigningCertificate.objects.filter(kind=Kind.ROOT, revoked_at__isnull=True).first()


def ca_init(*, actor) -> tuple[SigningCertificate, bool]:
    """Create the root key and self-signed certificate once (`qinqing pki_init`; the first
    signing does it if nobody has). Returns (root, created)."""
    existing = ca_root()
    if existing is not None:
        return existing, False
    name = _setting("QINQING_PKI_ROOT_NAME", ROOT_NAME)
    key = ec.generate_private_key(ec.SECP256R1())
    now = clock()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "亲清平台"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ROOT_NOTE),
            x509.NameAttribute(NameOID.COMMON_NAME, _cn(name)),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=ROOT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    try:
        with transaction.atomic():
            root = SigningCertificate.objects.create(
                kind=Kind.ROOT,
                subject_key="root",
                common_name=name,
                serial=format(cert.serial_number, "x"),
                not_before=cert.not_valid_before_utc,
                not_after=cert.not_valid_after_utc,
                certificate_pem=_pem(cert),
                key_cipher=crypto.encrypt(_key_text(key)),
            )
            audit_log(
                actor=actor,
                action="certificate.ca_init",
                obj=root,
                detail={"serial": root.serial, "not_after": root.not_after},
            )
    except IntegrityError:  # another process made it first (signing_certificate_one_root)
        return ca_root(), False
    return root, True


# --- issuing --------------------------------------------------------------------------------


def _cn(name: str) -> str:
    """A common name within X.520's 64 (UTF-8 octets here); the full name stays in O."""
    while len(name.encode()) > 64:
        name = name[:-1]
    return name


def _subject(kind: str, name: str, subject_key: str, organisation: Organisation | None):
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if kind == Kind.SEAL:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, name))
    attrs += [
        x509.NameAttribute(NameOID.COMMON_NAME, _cn(name)),
        # The pseudonymous id (expert code, organisation code): never an ID number.
        x509.NameAttribute(NameOID.SERIAL_NUMBER, subject_key),
    ]
    return x509.Name(attrs)


def _usable(kind: str, subject_key: str, root: SigningCertificate):
    now = clock()
    return (
        SigningCertificate.objects.filter(
            kind=kind,
            subject_key=subject_key,
            issuer=root,
            revoked_at__isnull=True,
            not_before__lte=now,
            not_after__gt=now + RENEW_BEFORE,
        )
        .order_by("-not_after")
        .first()
    )


def certificate_for(
    *,
    actor,
    kind: str,
    subject_key: str,
    name: str,
    organisation: Organisation | None = None,
) -> SigningCertificate:
    """The certificate `subject_key` signs with: the one in force under the current root, else a
    new one issued now (audited `certificate.issue`). A person is named by name and a
    pseudonymous id (an expert's code: never the ID number); an organisation's seal by its
    name and code."""
    if kind not in (Kind.PERSON, Kind.SEAL):
        raise DomainError("只能签发个人签名证书或机构印章证书", field="kind")
    subject_key, name = (subject_key or "").strip(), (name or "").strip()
    if not subject_key or not name or len(subject_key) > 100 or len(name) > 200:
        raise DomainError("证书主体的名称和标识不能为空，且不超过长度限制", field="subject_key")
    if kind == Kind.SEAL and organisation is None:
        raise DomainError("机构印章证书须指明机构", field="organisation")
    with transaction.atomic():
        root, _ = ca_init(actor=actor)
        found = _usable(kind, subject_key, root)
        if found is not None and found.common_name == name:
            return found
        key = ec.generate_private_key(ec.SECP256R1())
        root_cert = certificate_of(root)
        now = clock()
        days = SEAL_DAYS if kind == Kind.SEAL else PERSON_DAYS
        not_after = min(now + timedelta(days=days), root.not_after)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_subject(kind, name, subject_key, organisation))
            .issuer_name(root_cert.subject)
            .public_key(key.public_key())
            .serial_number(_serial())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,  # non-repudiation: what pyHanko asks of a signer
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(root_cert.public_key()), False
            )
            .sign(private_key_of(root), hashes.SHA256())
        )
        row = SigningCertificate.objects.create(
            kind=kind,
            subject_key=subject_key,
            common_name=name,
            organisation=organisation,
            issuer=root,
            serial=format(cert.serial_number, "x"),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            certificate_pem=_pem(cert),
            key_cipher=crypto.encrypt(_key_text(key)),
        )
        audit_log(
            actor=actor,
            action="certificate.issue",
            obj=row,
            organisation=organisation,
            detail={
                "kind": kind,
                "subject": subject_key,
                "serial": row.serial,
                "not_after": row.not_after,
                "replaces": found.serial if found else None,
            },
        )
    return row


def certificate_revoke(*, actor, certificate: SigningCertificate, reason: str) -> None:
    """Revoke a certificate (a key lost or a person gone): it signs nothing more, the CRL lists
    it from now on, and the next signing for its subject issues a new one. Revoking the root
    retires every certificate it issued; `qinqing pki_init` then makes a new root."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请说明吊销原因", field="reason")
    if len(reason) > 200:
        raise DomainError("吊销原因不能超过200个字", field="reason")
    with transaction.atomic():
        row = SigningCertificate.objects.select_for_update().get(pk=certificate.pk)
        if row.revoked_at is not None:
            raise ConflictError("该证书已吊销")
        row.revoked_at, row.revocation_reason = timezone.now(), reason
        row.save(update_fields=["revoked_at", "revocation_reason"])
        audit_log(
            actor=actor,
            action="certificate.revoke",
            obj=row,
            organisation=row.organisation,
            detail={"kind": row.kind, "serial": row.serial, "reason": reason},
        )
    certificate.revoked_at, certificate.revocation_reason = row.revoked_at, reason


def crl_pem(root: SigningCertificate, *, now: datetime | None = None) -> bytes:
    """The root's certificate revocation list, signed now, valid for a week."""
    now = now or timezone.now()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(certificate_of(root).subject)
        .last_update(now)
        .next_update(now + timedelta(days=CRL_DAYS))
    )
    for row in SigningCertificate.objects.filter(issuer=root, revoked_at__isnull=False):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(int(row.serial, 16))
            .revocation_date(row.revoked_at)
            .build()
        )
    crl = builder.sign(private_key_of(root), hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.PEM)
