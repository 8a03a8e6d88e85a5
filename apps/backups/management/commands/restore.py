from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.backups.archive import BackupError, restore


class Command(BaseCommand):
    help = (
        "从 backup 生成的归档恢复数据库和上传的图片。目标数据库和图片目录须为空，除非加 --force；"
        "归档须带本系统的签名，除非加 --trust-unsigned。"
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="backup 生成的 .tar 归档文件")
        parser.add_argument(
            "--force", action="store_true", help="目标不为空时也恢复（覆盖现有数据）"
        )
        parser.add_argument(
            "--trust-unsigned",
            action="store_true",
            help="恢复另一套安装生成的归档（未签名或用另一个密钥签名）；仍核对每个文件的校验和",
        )

    def handle(self, *args, archive, force, trust_unsigned, **options):
        try:
            manifest = restore(Path(archive), force=force, trust_unsigned=trust_unsigned)
        except BackupError as error:
            raise CommandError(str(error)) from error
        files = len(manifest["files"]) - 1
        self.stdout.write(
            self.style.SUCCESS(
                f"已恢复 {manifest['created_at']} 的备份（数据库和 {files} 个文件）。"
            )
        )
