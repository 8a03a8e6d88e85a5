from django.core.management.base import BaseCommand

from apps.uploads.recording import record_all


class Command(BaseCommand):
    help = (
        "根据期刊封面、编者的话和文章正文重新记录每个上传图片被哪些内容使用"
        "（图片只提供给有权阅读这些内容的读者）。可重复运行。"
    )

    def handle(self, *args, **options):
        self.stdout.write(f"已记录图片使用 {record_all()} 处。")
