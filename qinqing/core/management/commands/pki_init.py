"""Create the platform's root certificate once (the demo CA; docs/signatures.md)."""

from django.core.management.base import BaseCommand

from qinqing.core.signing import pki


class Command(BaseCommand):
    help = (
        "Create the platform CA's root key and certificate (once; the key sealed under "
        "QINQING_DATA_KEYS) and print its SHA-256 fingerprint to publish. Not a legal CA."
    )

    def handle(self, *args, **options):
        root, created = pki.ca_init(actor=None)
        self.stdout.write(
            f"{'已建立' if created else '已存在'}平台根证书：序列号 {root.serial}，"
            f"有效期至 {root.not_after:%Y-%m-%d}"
        )
        self.stdout.write(f"SHA-256 指纹：{pki.fingerprint(root)}")
        self.stdout.write("公布于 /pki/（根证书 /pki/ca.pem，吊销列表 /pki/crl.pem）。")
