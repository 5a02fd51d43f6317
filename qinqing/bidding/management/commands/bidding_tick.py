from django.core.management.base import BaseCommand

from qinqing.bidding.draw.services import outcomes_expire


class Command(BaseCommand):
    help = "Periodic: mark unanswered draw invitations past their deadline and call backups."

    def handle(self, *args, **options):
        expired = outcomes_expire()
        self.stdout.write(f"超时未答复：{expired} 人，已按序递补")
