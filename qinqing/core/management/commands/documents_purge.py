from django.core.management.base import BaseCommand

from qinqing.core.documents import documents_purge


class Command(BaseCommand):
    help = "Delete expired generated documents and their files (run daily)."

    def handle(self, *args, **options):
        self.stdout.write(f"已删除过期的生成文件 {documents_purge()} 个")
