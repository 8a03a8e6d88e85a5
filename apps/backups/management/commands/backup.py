from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.backups.archive import BackupError, write


class Command(BaseCommand):
    help = "备份数据库和上传的图片，写成一个带日期的归档文件，只保留最近的若干个。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            dest="directory",
            default=settings.BACKUP_DIR,
            help="归档文件存放的目录（默认 BACKUP_DIR）",
        )
        parser.add_argument(
            "--keep", type=int, default=settings.BACKUP_KEEP, help="保留最近多少个归档"
        )

    def handle(self, *args, directory, keep, **options):
        if keep < 1:
            raise CommandError("--keep 至少为 1。")
        try:
            archive = write(Path(directory), keep=keep)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"已备份：{archive}"))
