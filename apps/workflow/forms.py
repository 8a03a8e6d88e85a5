from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone

from apps.articles.models import Article, Correction
from apps.issues.models import Issue
from apps.workflow import signing
from apps.workflow.models import CorrectionProposal


class ConcurrentEditForm(forms.ModelForm):
    """Refuse to save over a change someone else saved after this form was opened.

    The form carries the version it was opened at; on save the row is locked and compared.
    On a conflict the user's input is shown back with who saved in between, and the form now
    carries the new version, so saving again is a deliberate choice, never a silent overwrite.
    """

    # Hidden, but the admin still writes a <label> for it (and an error would name it).
    edit_version = forms.IntegerField(label="编辑版本", widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The row's version now, not the instance's: a restore form shows an old instance.
            self.fields["edit_version"].initial = self._current().version

    def _current(self, lock=False):
        rows = type(self.instance)._default_manager.select_related("updated_by")
        if lock:
            rows = rows.select_for_update(of=("self",))
        return rows.get(pk=self.instance.pk)

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        current = self._current(lock=True)
        if cleaned.get("edit_version") != current.version:
            self.data = self.data.copy()
            self.data[self.add_prefix("edit_version")] = current.version
            who = current.updated_by or "其他人"
            when = timezone.localtime(current.updated_at)
            raise ValidationError(
                f"在您打开此页面之后，{who} 于 {when:%Y-%m-%d %H:%M:%S} 保存了修改。"
                "为避免覆盖对方的修改，本次没有保存，您填写的内容保留在下方。"
                "请先在「历史」中查看对方的修改；如仍以您的内容为准，再次保存即可。",
                code="stale",
            )
        return cleaned


class ArticleForm(ConcurrentEditForm):
    """An article's form: a position left empty is the next free one in its issue's section,
    so an article added to an issue never collides with one already there."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        position = self.fields.get("position")
        if position is None:  # read-only for this user
            return
        position.required = False
        position.help_text = "同一期同一栏目内的排列顺序；留空则排在该栏目最后。"
        if self.instance.pk is None and "position" not in (kwargs.get("initial") or {}):
            self.initial["position"] = None  # not the model's default 1, which may be taken

    def clean(self):
        cleaned = super().clean()
        self._check_signed_issue(cleaned)
        if "position" in self.fields and cleaned.get("position") is None:
            cleaned["position"] = self._next_position(cleaned.get("issue"), cleaned.get("section"))
        return cleaned

    def _check_signed_issue(self, cleaned):
        """An issue published or scheduled went out with its signed content (签发): an article
        that needs signing is not put into it, nor made to need signing there."""
        issue = cleaned.get("issue", self.instance.issue)
        if issue is None or issue.status != Issue.Status.PUBLISHED:
            return
        probe = Article(visibility=cleaned.get("visibility", self.instance.visibility))
        moved = issue.pk != self.instance.issue_id
        now_signed = probe.visibility != self.instance.visibility
        if (moved or now_signed) and signing.correction_needs_sign_off(probe):
            raise ValidationError(
                f"{issue}已发布或定时发布，其内容经过签发：按签发规定，不能把须签发的文章放入其中"
                "或改为仅限领导阅读。如确需调整，请先对该期「取消定时」。",
                code="signed",
            )

    def _next_position(self, issue, section) -> int:
        if issue is None or section is None:
            return 1
        taken = Article.objects.filter(issue=issue, section=section).exclude(pk=self.instance.pk)
        return (taken.aggregate(Max("position"))["position__max"] or 0) + 1


class CorrectionForm(ArticleForm):
    """The form of a published article: a change is a correction, and readers see its note."""

    correction_note = forms.CharField(
        label="更正说明",
        max_length=Correction.MAX_NOTE,
        help_text="本文已发布，保存即为更正：读者会在文章页、打印版和 PDF 中看到这条说明和日期。",
        widget=forms.TextInput(attrs={"size": 60}),
    )


class CorrectionProposalForm(forms.ModelForm):
    """What an editor proposes for a published article (提出更正): its text, opened at the live
    one, and the 更正说明 readers will see once a reviewer approves it."""

    class Meta:
        model = CorrectionProposal
        fields = ("note", "title", "subtitle", "summary", "body")
        help_texts = {
            "note": "通过后，读者会在文章页、打印版和 PDF 中看到这条说明和日期。",
        }
        widgets = {"note": forms.TextInput(attrs={"size": 60})}
