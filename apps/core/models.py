from django.conf import settings
from django.db import models


class EditTracked(models.Model):
    """Who made it and when, who saved last and when, and a version number that lets a stale
    edit form be detected: the audit fields of every edited model, declared once."""

    version = models.PositiveIntegerField("版本", default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="最后修改人",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.version += 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version"}
        super().save(*args, **kwargs)


class Revision(models.Model):
    """A counter the database itself moves whenever a table it watches changes.

    The triggers that move it are installed by apps.core.revisions after every `migrate`; a
    cached copy is good only while the counter it was made at has not moved.
    """

    id = models.PositiveSmallIntegerField(primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "core_revision"
        verbose_name = "修订计数"
        verbose_name_plural = "修订计数"

    def __str__(self):
        return f"{self.id}: {self.value}"
