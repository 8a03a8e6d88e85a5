from django.db import models

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.uploads.files import MAX_PATH_LENGTH


class ImageUse(models.Model):
    """An uploaded file used by an issue (cover, editor's note) or by an article (body).

    Kept by apps.uploads.recording on every save of an issue or article; the media view asks
    it which items use a file, and serves the file to those who may read one of them.
    """

    path = models.CharField("文件", max_length=MAX_PATH_LENGTH, help_text="相对于媒体目录的路径。")
    issue = models.ForeignKey(
        Issue,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="image_uses",
        verbose_name="期刊",
    )
    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="image_uses",
        verbose_name="文章",
    )

    class Meta:
        verbose_name = "图片使用记录"
        verbose_name_plural = "图片使用记录"
        indexes = [models.Index(fields=["path"], name="uploads_imageuse_path")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(issue__isnull=False, article__isnull=True)
                    | models.Q(issue__isnull=True, article__isnull=False)
                ),
                name="uploads_imageuse_one_item",
            ),
            models.UniqueConstraint(
                fields=["issue", "path"],
                condition=models.Q(issue__isnull=False),
                name="uploads_imageuse_once_per_issue",
            ),
            models.UniqueConstraint(
                fields=["article", "path"],
                condition=models.Q(article__isnull=False),
                name="uploads_imageuse_once_per_article",
            ),
        ]

    def __str__(self):
        return f"{self.path} · {self.article or self.issue}"
