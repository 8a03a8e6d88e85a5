from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class TransitionLog(models.Model):
    """One workflow step taken on an issue or an article: from, to, who, when and why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name="对象类型")
    object_id = models.PositiveBigIntegerField("对象编号")
    subject = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField("对象", max_length=200)
    transition = models.CharField("操作", max_length=30)
    transition_label = models.CharField("操作名称", max_length=30)
    from_status = models.CharField("原状态", max_length=20)
    to_status = models.CharField("新状态", max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text="为空表示系统自动执行。",
        related_name="+",
        verbose_name="操作人",
    )
    at = models.DateTimeField("时间", db_index=True)
    comment = models.TextField("意见", blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "流程记录"
        verbose_name_plural = "流程记录"
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]

    def __str__(self):
        return f"{self.object_repr}：{self.transition_label}"

    def status_label(self, status):
        return self.content_type.model_class().Status(status).label

    @property
    def from_label(self):
        return self.status_label(self.from_status)

    @property
    def to_label(self):
        return self.status_label(self.to_status)
