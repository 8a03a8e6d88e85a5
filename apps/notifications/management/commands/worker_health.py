import socket

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from apps.notifications import heartbeat


class Command(BaseCommand):
    help = "检查后台任务进程是否在工作（两分钟内有心跳）；供容器健康检查使用。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--any-host",
            action="store_true",
            help="Accept a heartbeat from a worker on any host (default: this host's only).",
        )

    def handle(self, *args, any_host, **options):
        # In a container, the worker's own container asks about itself: its host name.
        host = None if any_host else socket.gethostname()
        try:
            beat_at = heartbeat.newest_beat(host=host)
        except DatabaseError as error:
            raise CommandError("无法连接数据库，不能确认后台任务进程的心跳。") from error
        if heartbeat.is_late(beat_at):
            raise CommandError("后台任务进程两分钟内没有心跳：它可能已停止或无法连接数据库。")
        self.stdout.write("后台任务进程工作正常。")
