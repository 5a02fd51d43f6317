"""qinqing brief_export SERIES NUMBER --format pdf|docx -o FILE"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from qinqing.briefing import export
from qinqing.briefing.models import Issue, Series
from qinqing.core.rules import is_ascii_digits


class Command(BaseCommand):
    help = "导出一期简报为 PDF 或 Word（SERIES 可为系列代码、名称或编号）"

    def add_arguments(self, parser):
        parser.add_argument("series")
        parser.add_argument("number", type=int)
        parser.add_argument("--format", choices=["pdf", "docx"], default="pdf")
        parser.add_argument("-o", "--output", required=True)

    def handle(self, *args, series, number, format, output, **options):
        cond = Q(code=series) | Q(name=series)
        if is_ascii_digits(series):
            cond |= Q(pk=int(series))
        found = Series.objects.filter(cond).first()
        if found is None:
            raise CommandError(f"没有简报系列：{series}")
        issue = Issue.objects.filter(series=found, number=number).first()
        if issue is None:
            raise CommandError(f"{found.name} 没有第 {number} 期")
        data = export.render(issue, format)
        Path(output).write_bytes(data)
        self.stdout.write(f"{issue} → {output}（{len(data)} 字节）")
