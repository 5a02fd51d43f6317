"""The platform CA's public page and files: anyone may download the root certificate and the
revocation list to check a signed PDF (pdfsig, Adobe Reader, pyHanko)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from qinqing.core.models import SigningCertificate
from qinqing.core.signing import pki


def _root() -> SigningCertificate:
    root = pki.ca_root()
    if root is None:
        raise Http404
    return root


def pki_page(request: HttpRequest) -> HttpResponse:
    root = pki.ca_root()
    context = {"root": root}
    if root is not None:
        context |= {
            "fingerprint": pki.fingerprint(root),
            "subject": pki.certificate_of(root).subject.rfc4514_string(),
            "revoked": SigningCertificate.objects.filter(
                issuer=root, revoked_at__isnull=False
            ).count(),
        }
    return render(request, "core/pki.html", context)


def _file(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def ca_pem(request: HttpRequest) -> HttpResponse:
    return _file(_root().certificate_pem.encode(), "application/x-pem-file", "qinqing-ca.pem")


def ca_der(request: HttpRequest) -> HttpResponse:
    der = pki.certificate_of(_root()).public_bytes(serialization.Encoding.DER)
    return _file(der, "application/pkix-cert", "qinqing-ca.cer")


def crl(request: HttpRequest) -> HttpResponse:
    return _file(pki.crl_pem(_root()), "application/x-pem-file", "qinqing-ca.crl.pem")
