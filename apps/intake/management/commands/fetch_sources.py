"""Fetch sources now and print what each gave: `manage.py fetch_sources [--all] [--source ID]`."""

from django.core.management.base import BaseCommand, CommandError

from apps.intake import sources
from apps.intake.ingest import run_round
from apps.intake.models import Source


class Command(BaseCommand):
    help = "立即抓取信息源并逐个列出结果（默认只抓取已到时间的信息源）。"

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="抓取全部启用的信息源。")
        parser.add_argument(
            "--source", type=int, action="append", default=[], help="只抓取这个编号的信息源。"
        )
        parser.add_argument(
            "--force", action="store_true", help="已抓取过的文章也重新读取（检查是否修改）。"
        )

    def handle(self, *args, source, force, **options):
        if source:
            chosen = Source.objects.filter(pk__in=source)
            missing = set(source) - set(chosen.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"没有编号为 {'、'.join(map(str, sorted(missing)))} 的信息源。")
        elif options["all"]:
            chosen = Source.objects.filter(active=True)
        else:
            chosen = sources.due()
        chosen = list(chosen.prefetch_related("industries"))
        if not chosen:
            self.stdout.write("没有需要抓取的信息源。")
            return
        for report in run_round(chosen, force=force):
            name = f"[{report.source.pk}] {report.source.name}"
            if report.error:
                self.stdout.write(self.style.ERROR(f"{name}：出错，{report.error}"))
                continue
            if report.not_modified:
                self.stdout.write(f"{name}：未更新（304）")
                continue
            self.stdout.write(
                self.style.SUCCESS(
                    f"{name}：列出 {report.listed} 篇新地址，新增 {report.new} 条，"
                    f"更新 {report.updated} 条，跳过 {len(report.skipped)} 条"
                )
            )
            for line in report.skipped:
                self.stdout.write(f"    跳过 {line}")
