"""从 Word 导入: upload an issue's .docx, check what was detected, confirm to create the drafts.

One admin page (config/urls.py wraps it in admin.site.admin_view: staff, and the second
factor where it is required) in three steps: the upload form; the preview, at
`?ref=<signed reference to the kept file>`; the confirmation, a POST of the preview's form.
Only those who may add both issues and articles (editors, reviewers) get past the first line.
"""

from collections import Counter

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

from apps.accounts.access import acts_as_staff
from apps.articles.keywords import suggest_industries
from apps.articles.models import Industry, Section
from apps.issues.models import Issue
from apps.wordimport import storage
from apps.wordimport.checks import ImportRefused
from apps.wordimport.creating import create_issue
from apps.wordimport.forms import (
    ConfirmForm,
    UploadForm,
    proposed_total_number,
    proposed_year_number,
)
from apps.wordimport.parsing import parse_docx

EXPIRED = "导入文件已失效（超过一天、已经导入或不是您上传的），请重新上传 Word 文档。"
PREAMBLE_SHOWN = 1000
NOTE_EXCERPT = 200


def may_import(user) -> bool:
    return (
        acts_as_staff(user)
        and user.has_perm("issues.add_issue")
        and user.has_perm("articles.add_article")
    )


def import_word(request):
    if not may_import(request.user):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    ref = source.get("ref")
    if ref is None:
        return _upload(request)
    return _preview(request, ref)


def _url(ref=None) -> str:
    url = reverse("issue_import_word")
    return f"{url}?{urlencode({'ref': ref})}" if ref else url


def _context(request, **context):
    return {
        **admin.site.each_context(request),
        "opts": Issue._meta,
        "title": "从 Word 导入",
        **context,
    }


def _upload(request):
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            ref = storage.keep(form.content, filename=upload.name, user=request.user)
            return HttpResponseRedirect(_url(ref))
    else:
        form = UploadForm()
    return TemplateResponse(request, "admin/wordimport/upload.html", _context(request, form=form))


def _preview(request, ref):
    upload = storage.load(ref, user=request.user)
    if upload is None:
        messages.error(request, EXPIRED)
        return HttpResponseRedirect(_url())
    try:
        parsed = parse_docx(upload.data)
    except ImportRefused as refusal:  # the rules changed since the upload, or the file did
        storage.discard(upload)
        messages.error(request, refusal.message)
        return HttpResponseRedirect(_url())
    sections = list(Section.objects.all())
    industries = list(Industry.objects.all())
    suggestions = [
        suggest_industries(title=article.title, text=article.text, industries=industries)
        for article in parsed.articles
    ]
    year, number, year_note = proposed_year_number(parsed)
    total_number, total_note = proposed_total_number(parsed)
    form = ConfirmForm(
        request.POST if request.method == "POST" else None,
        parsed=parsed,
        sections=sections,
        industries=industries,
        suggestions=suggestions,
        initial={"year": year, "number": number, "total_number": total_number},
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = create_issue(
                year=form.cleaned_data["year"],
                number=form.cleaned_data["number"],
                total_number=form.cleaned_data["total_number"],
                note_html=form.note_html,
                articles=form.planned,
                images=parsed.images,
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, ValidationError(error.messages))
        else:
            storage.discard(upload)
            messages.success(request, _created_message(created))
            return HttpResponseRedirect(
                reverse("admin:issues_issue_change", args=[created.issue.pk])
            )
    context = _context(
        request,
        form=form,
        ref=ref,
        filename=upload.filename,
        parsed=parsed,
        groups=_groups(form, parsed, sections),
        warnings=[*parsed.warnings, *(note for note in (year_note, total_note) if note)],
        note_excerpt=_excerpt(parsed.note_text, NOTE_EXCERPT),
        preamble_text=_excerpt(parsed.preamble_text, PREAMBLE_SHOWN, lines=True),
        image_count=sum(1 for image in parsed.images if image.file is not None),
    )
    return TemplateResponse(request, "admin/wordimport/preview.html", context)


def _groups(form, parsed, sections):
    """The detected articles under the headings they stood under, with their controls."""
    known = {section.name for section in sections}
    first = sections[0].name if sections else ""
    groups = []
    for index, article in enumerate(parsed.articles):
        name = article.section_name
        if not groups or groups[-1]["name"] != name:
            groups.append({"name": name, "known": name in known, "first": first, "rows": []})
        groups[-1]["rows"].append(
            {
                "number": index + 1,
                "article": article,
                "characters": article.character_count,
                "images": len(article.image_indexes),
                "drop": form[f"drop_{index}"],
                "merge": form[f"merge_{index}"],
                "section": form[f"section_{index}"],
                "industries": form[f"industries_{index}"],
            }
        )
    return groups


def _excerpt(text: str, limit: int, *, lines=False) -> str:
    if not lines:
        text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _created_message(created) -> str:
    per_section = Counter(article.section.name for article in created.articles)
    sections = "、".join(f"{name} {count} 篇" for name, count in per_section.items())
    parts = [f"已从 Word 导入 {created.issue}（草稿）："]
    parts.append("编者的话，" if created.issue.editor_note else "没有编者的话，")
    parts.append(f"{len(created.articles)} 篇文章（{sections}）")
    if created.image_count:
        parts.append(f"，图片 {created.image_count} 张")
    parts.append("。文章均为草稿，请逐篇核对后提交审核。")
    return "".join(parts)
