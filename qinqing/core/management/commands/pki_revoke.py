"""Revoke a certificate of the platform CA by its serial (hexadecimal)."""

from django.core.management.base import BaseCommand, CommandError

from qinqing.core.errors import DomainError
from qinqing.core.models import SigningCertificate
from qinqing.core.signing import pki


class Command(BaseCommand):
    help = "Revoke a platform certificate (it signs nothing more and is listed in /pki/crl.pem)."

    def add_arguments(self, parser):
        parser.add_argument("serial", help="the certificate's serial, hexadecimal")
        parser.add_argument("--reason", required=True, help="why (audited, at most 200 chars)")

    def handle(self, *args, serial: str, reason: str, **options):
        row = SigningCertificate.objects.filter(serial=serial.lower().removeprefix("0x")).first()
        if row is None:
            raise CommandError(f"没有序列号为 {serial} 的证书")
        try:
            pki.certificate_revoke(actor=None, certificate=row, reason=reason)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"已吊销：{row.common_name}（{row.get_kind_display()}），序列号 {row.serial}"
        )
