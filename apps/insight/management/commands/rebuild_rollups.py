from django.core.management.base import BaseCommand

from apps.insight.rollups import rebuild


class Command(BaseCommand):
    help = (
        "根据阅读记录重新计算数据看板的汇总数字（已按保留期限删除的阅读记录所在时段的汇总"
        "保持不变）。可重复运行。"
    )

    def handle(self, *args, **options):
        done = rebuild()
        changed = sum(n for name, n in done.items() if name != "audiences")
        self.stdout.write(
            f"已重算数据看板汇总：更改 {changed} 行；新记录 {done['audiences']} 期的读者范围。"
        )
