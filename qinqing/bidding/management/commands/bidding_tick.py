from django.core.management.base import BaseCommand

from qinqing.bidding.bids.services import uploads_expire
from qinqing.bidding.draw.services import outcomes_expire
from qinqing.bidding.opening.services import openings_expire


class Command(BaseCommand):
    help = (
        "Periodic: mark unanswered draw invitations past their deadline and call backups; "
        "end the openings whose decryption window is over; delete stale chunked bid uploads."
    )

    def handle(self, *args, **options):
        expired = outcomes_expire()
        self.stdout.write(f"超时未答复：{expired} 人，已按序递补")
        closed = openings_expire()
        self.stdout.write(f"解密时限已过的开标：{closed} 个，未解密的投标文件已按招标文件处理")
        stale = uploads_expire()
        self.stdout.write(f"过期未完成的分块上传：{stale} 个，临时文件已删除")
