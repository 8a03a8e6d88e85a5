"""The two forms of the Word import: the upload, and the editor's choices in the preview."""

from django import forms
from django.utils import timezone

from apps.issues.models import Issue
from apps.wordimport.checks import MAX_UPLOAD_BYTES, ImportRefused, check_upload, too_large
from apps.wordimport.parsing import ParsedIssue, parse_docx
from apps.wordimport.plan import Choice, PlanRefused, plan_articles

YEAR_MIN, YEAR_MAX = 2000, 2100
NUMBER_MIN, NUMBER_MAX = 1, 99
TOTAL_MAX = 99_999


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Word 文档",
        help_text="一期的完整内容，.docx 格式，不超过 20 MB。",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".docx,application/vnd.openxmlformats-officedocument"
                ".wordprocessingml.document"
            }
        ),
        error_messages={
            "required": "请选择要导入的 Word 文档（.docx）。",
            "empty": "上传的文件是空的，请选择要导入的 Word 文档（.docx）。",
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:  # refused without reading it
            raise forms.ValidationError(too_large(upload.size), code="refused")
        data = upload.read(MAX_UPLOAD_BYTES + 1)
        try:
            check_upload(upload.name, data)
            self.parsed = parse_docx(data)
        except ImportRefused as refusal:
            raise forms.ValidationError(refusal.message, code="refused") from refusal
        self.content = data
        return upload


class ConfirmForm(forms.Form):
    """Year and number of the new issue, and per detected article: drop, merge, section, tags."""

    year = forms.IntegerField(
        label="年份",
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        error_messages={"required": "请填写年份。", "invalid": "年份应为四位数字。"},
    )
    number = forms.IntegerField(
        label="期号",
        min_value=NUMBER_MIN,
        max_value=NUMBER_MAX,
        help_text="当年的第几期。",
        error_messages={"required": "请填写期号。", "invalid": "期号应为数字。"},
    )
    total_number = forms.IntegerField(
        label="总期号",
        required=False,
        min_value=1,
        max_value=TOTAL_MAX,
        help_text="总第几期，按文档刊头填写；留空则在上线时按上线先后自动编号。",
        error_messages={"invalid": "总期号应为数字。"},
    )

    def __init__(self, *args, parsed: ParsedIssue, sections, industries, suggestions, **kwargs):
        super().__init__(*args, **kwargs)
        self.parsed = parsed
        self.sections = {str(section.pk): section for section in sections}
        self.industries = {str(industry.pk): industry for industry in industries}
        section_choices = [(pk, section.name) for pk, section in self.sections.items()]
        industry_choices = [(pk, industry.name) for pk, industry in self.industries.items()]
        by_name = {section.name: section for section in sections}
        first = next(iter(self.sections), None)
        for index, article in enumerate(parsed.articles):
            matched = by_name.get(article.section_name or "")
            self.fields[f"drop_{index}"] = forms.BooleanField(label="删除", required=False)
            self.fields[f"merge_{index}"] = forms.BooleanField(label="并入上一篇", required=False)
            self.fields[f"section_{index}"] = forms.ChoiceField(
                label="栏目",
                choices=section_choices,
                initial=str(matched.pk) if matched else first,
                error_messages={"invalid_choice": "请选择一个现有的栏目。"},
            )
            self.fields[f"industries_{index}"] = forms.MultipleChoiceField(
                label="相关产业",
                choices=industry_choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=[str(industry.pk) for industry in suggestions[index]],
                error_messages={"invalid_choice": "请只勾选列出的产业。"},
            )
        if parsed.preamble_html and not parsed.has_note:
            self.fields["preamble_as_note"] = forms.BooleanField(
                label="把第一篇标题之前的文字作为编者的话", required=False
            )

    def clean(self):
        cleaned = super().clean()
        year, number = cleaned.get("year"), cleaned.get("number")
        if year and number and Issue.objects.filter(year=year, number=number).exists():
            self.add_error("number", f"{year}年第{number}期已经存在，请换一个期号。")
        total = cleaned.get("total_number")
        if total and Issue.objects.filter(total_number=total).exists():
            self.add_error("total_number", total_taken(total))
        if any(self.has_error(f"section_{i}") for i in range(len(self.parsed.articles))):
            return cleaned
        choices = []
        for index, article in enumerate(self.parsed.articles):
            drop, merge = cleaned.get(f"drop_{index}"), cleaned.get(f"merge_{index}")
            if drop and merge:
                raise forms.ValidationError(
                    f"“{article.title}”不能同时“删除”和“并入上一篇”，请只选一项。"
                )
            choices.append(
                Choice(
                    section=self.sections[cleaned[f"section_{index}"]],
                    industries=[
                        self.industries[pk] for pk in cleaned.get(f"industries_{index}", [])
                    ],
                    drop=bool(drop),
                    merge=bool(merge),
                )
            )
        try:
            self.planned = plan_articles(self.parsed, choices)
        except PlanRefused as refusal:
            raise forms.ValidationError(str(refusal)) from refusal
        return cleaned

    @property
    def note_html(self) -> str:
        if self.cleaned_data.get("preamble_as_note"):
            return self.parsed.preamble_html + self.parsed.note_html
        return self.parsed.note_html


def total_taken(total: int) -> str:
    return f"已有期刊使用总第{total}期，请核对总期号，或留空由系统在上线时编号。"


def proposed_year_number(parsed: ParsedIssue) -> tuple[int, int | None, str]:
    """Return the year and number to propose, and a note when the document's own is taken.

    The document's masthead ("2023年第12期") if that issue does not exist yet; otherwise the
    document's year (its masthead or its date; this year only when it gives none) and the
    number after the highest one used in that year.
    """
    note = ""
    if parsed.year_number:
        year, number = parsed.year_number
        in_range = YEAR_MIN <= year <= YEAR_MAX and NUMBER_MIN <= number <= NUMBER_MAX
        if in_range and not Issue.objects.filter(year=year, number=number).exists():
            return year, number, note
        note = f"文档标注为{year}年第{number}期，但该期已经存在或期号无效，请核对。"
    year = parsed.year
    if year is None or not YEAR_MIN <= year <= YEAR_MAX:
        year = timezone.localdate().year
    used = Issue.objects.filter(year=year).order_by("-number").values_list("number", flat=True)
    highest = next(iter(used), 0)
    return year, (highest + 1 if highest < NUMBER_MAX else None), note


def proposed_total_number(parsed: ParsedIssue) -> tuple[int | None, str]:
    """Return the total number (总第N期) the masthead gives, and a note when it is taken."""
    total = parsed.total_number
    if total is None:
        return None, ""
    if total > TOTAL_MAX or Issue.objects.filter(total_number=total).exists():
        return None, f"文档标注为总第{total}期，但已有期刊使用该总期号，请核对。"
    return total, ""
