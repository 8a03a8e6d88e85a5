"""Create the draft issue and its draft articles from a confirmed import, in one transaction.

Images are stored as the editor's upload stores them (re-encoded by apps.core.images, saved
under editor/YYYY/MM/ with a server-chosen name) and only when an article or the note uses
them. If anything fails, the transaction leaves no issue and no article, and the files
stored so far are deleted, so nothing of a failed import remains.
"""

from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from apps.articles.models import Article
from apps.core.images import store_editor_image
from apps.core.richtext import sanitize_html
from apps.issues.models import Issue
from apps.wordimport import bodies
from apps.wordimport.plan import PlannedArticle

TITLE_MAX = Article._meta.get_field("title").max_length
SUBTITLE_MAX = Article._meta.get_field("subtitle").max_length
SOURCE_MAX = Article._meta.get_field("source").max_length
AUTHOR_MAX = Article._meta.get_field("author").max_length


@dataclass
class Created:
    issue: Issue
    articles: list[Article]
    image_count: int


def create_issue(
    *,
    year: int,
    number: int,
    total_number: int | None = None,
    note_html: str,
    articles: list[PlannedArticle],
    images,
    by,
) -> Created:
    """Create issue `year`/`number` (draft; 总第`total_number`期 when given) and `articles`
    (drafts) as `by`.

    `images` are the document's ParsedImages; the HTML refers to them by placeholder.
    Raises ValidationError (in Chinese) when the issue cannot be created as asked.
    """
    stored: list[str] = []
    urls: dict[int, str] = {}

    def url_of(index: int) -> str:
        if index not in urls:
            image = images[index]
            name, urls[index] = store_editor_image(image.file)
            stored.append(name)
        return urls[index]

    try:
        with transaction.atomic():
            issue = Issue(
                year=year,
                number=number,
                total_number=total_number,
                editor_note=sanitize_html(bodies.with_image_urls(note_html, url_of)),
                status=Issue.Status.DRAFT,
                created_by=by,
                updated_by=by,
            )
            issue.full_clean()
            issue._history_user = by  # the history names who imported, with or without a request
            issue.save()
            created = []
            positions = Counter()
            for planned in articles:
                positions[planned.section.pk] += 1
                body = sanitize_html(bodies.with_image_urls(planned.body_html, url_of))
                article = Article(
                    issue=issue,
                    section=planned.section,
                    position=positions[planned.section.pk],
                    title=planned.title[:TITLE_MAX],
                    subtitle=planned.subtitle[:SUBTITLE_MAX],
                    source=planned.source[:SOURCE_MAX],
                    author=planned.author[:AUTHOR_MAX],
                    summary=bodies.summary_of(body),
                    body=body,
                    status=Article.Status.DRAFT,
                    visibility=Article.Visibility.ALL,
                    created_by=by,
                    updated_by=by,
                )
                try:
                    article.full_clean()
                except ValidationError as error:
                    raise ValidationError(
                        f"“{article.title}”无法建立：{'；'.join(error.messages)}"
                    ) from error
                article._history_user = by
                article.save()
                article.industries.set(planned.industries)
                created.append(article)
    except IntegrityError as error:
        _delete(stored)
        # Another editor took the number between the check and this insert.
        if Issue.objects.filter(year=year, number=number).exists():
            raise ValidationError(_number_taken(year, number)) from error
        if total_number and Issue.objects.filter(total_number=total_number).exists():
            raise ValidationError(f"已有期刊使用总第{total_number}期，请换一个总期号。") from error
        raise
    except BaseException:
        _delete(stored)
        raise
    return Created(issue=issue, articles=created, image_count=len(stored))


def _number_taken(year, number) -> str:
    return f"{year}年第{number}期已经存在，请换一个期号。"


def _delete(names) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            pass  # the transaction is what matters; an orphan file is harmless
