"""加入本期: a clipping becomes a draft article in a draft issue, with its provenance.

One action, as the editorial steps are (apps.workflow.steps): check, then inside a transaction
lock the clipping, its story and the issue, check again, create the draft and mark the clipping
已采用. A second add of the same clipping, at the same moment or later, finds it locked or used
and is refused: one article per clipping. Another clipping of a story already used is refused
until the editor confirms (`again`), since a reprint would make the same article twice.

The draft is made as the Word import makes its drafts (apps.wordimport.creating, which this
layer may not import): audit fields and the history's author set, validated, then saved.
The body's images are fetched through the safe client before the transaction (a slow site must
not hold the locks), re-encoded and stored as the editor's own uploads
(apps.core.images); one that cannot be fetched or read is left out, not the adoption. Files
stored for an adoption that is then refused are deleted again.
"""

import time
from urllib.parse import urljoin, urlsplit

import lxml.html
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils.html import escape

from apps.accounts.access import acts_as_staff
from apps.articles.models import Article, Section
from apps.core import outbound
from apps.core.images import reencode_image, store_editor_image
from apps.core.richtext import sanitize_html
from apps.intake.models import Clipping, Story
from apps.issues.models import Issue
from apps.workflow.roles import visible_to_staff
from apps.workflow.steps import HISTORY_REASON_LENGTH

TITLE_MAX = Article._meta.get_field("title").max_length
SOURCE_MAX = Article._meta.get_field("source").max_length
AUTHOR_MAX = Article._meta.get_field("author").max_length
# Each image may take the client's whole time limit: a page with a hundred is not waited for.
MAX_IMAGES = 20
# All images of an adoption share this many times one fetch's INTAKE_TOTAL_TIMEOUT: 30 s at
# the default 20 s, inside the 60 s the proxy and gunicorn give a request.
IMAGES_TIME_FACTOR = 1.5


class AdoptRefused(Exception):
    """The clipping cannot be added as asked; `str(error)` says why, in Chinese."""


class StoryAlreadyUsed(AdoptRefused):
    """Another clipping of the same story already became an article: ask before a second."""

    def __init__(self, articles: list[Article]):
        self.articles = articles
        names = "、".join(f"《{article.title}》" for article in articles)
        super().__init__(f"这条新闻的另一篇稿件已加入为文章 {names}，确认仍要再加入一篇吗？")


def may_adopt(user) -> bool:
    """Whether `user` may turn clippings into draft articles."""
    return (
        acts_as_staff(user)
        and user.has_perm("intake.change_clipping")
        and user.has_perm("articles.add_article")
    )


def draft_issues(user) -> QuerySet:
    """The issues `user` may add a clipping to: those still being drafted, which editors share
    to place their articles in (apps.workflow.roles.visible_to_staff)."""
    return visible_to_staff(user, Issue.objects.filter(status=Issue.Status.DRAFT))


def story_articles(clipping: Clipping) -> list[Article]:
    """The articles already made from `clipping`'s story (from it or from a reprint)."""
    made = Clipping.objects.filter(article__isnull=False)
    made = (
        made.filter(story=clipping.story_id) if clipping.story_id else made.filter(pk=clipping.pk)
    )
    return list(Article.objects.filter(pk__in=made.values("article")).order_by("pk"))


def adopt(
    clipping: Clipping, *, issue: Issue, section: Section, user, again: bool = False
) -> Article:
    """Make `clipping` a draft article at the end of `section` in `issue`, as `user`.

    Raises AdoptRefused (StoryAlreadyUsed unless `again`). The article carries
    `dropped_images`: how many of the body's images could not be fetched and were left out.
    """
    if not may_adopt(user):
        raise AdoptRefused("您没有把素材加入期刊的权限。")
    _check(clipping, issue=issue, again=again)
    body, stored, dropped = _body_with_images(clipping)
    try:
        with transaction.atomic():
            article = _create(
                clipping, issue=issue, section=section, user=user, body=body, again=again
            )
    except IntegrityError as error:
        _delete(stored)
        # An editor's form took the same position in between.
        raise AdoptRefused("保存时与其他修改冲突，请重试。") from error
    except BaseException:
        _delete(stored)
        raise
    clipping.state, clipping.article = Clipping.State.USED, article
    article.dropped_images = dropped
    return article


def _check(clipping, *, issue, again) -> None:
    if clipping.article_id:
        title = Article.objects.filter(pk=clipping.article_id).values_list("title", flat=True)
        raise AdoptRefused(f"这条素材已加入为文章《{title.first() or ''}》，不能重复加入。")
    if clipping.state == Clipping.State.IGNORED:
        raise AdoptRefused("这条素材已被忽略；如需采用，请先恢复为新。")
    if issue.status != Issue.Status.DRAFT:
        raise AdoptRefused(f"{issue}已不是草稿，不能再加入文章；请选择仍在草稿状态的期次。")
    if not again:
        used = story_articles(clipping)
        if used:
            raise StoryAlreadyUsed(used)


def _create(clipping, *, issue, section, user, body, again) -> Article:
    try:
        locked = Clipping.objects.select_for_update().get(pk=clipping.pk)
    except Clipping.DoesNotExist as error:
        raise AdoptRefused("这条素材已被删除。") from error
    # In the order ingest locks them (the clipping, then its story), so the two never wait
    # for each other; the story's lock makes two reprints' adds take turns.
    if locked.story_id:
        Story.objects.select_for_update().filter(pk=locked.story_id).first()
    try:
        issue = Issue.objects.select_for_update().get(pk=issue.pk)
    except Issue.DoesNotExist as error:
        raise AdoptRefused("所选期次已被删除，请重新选择。") from error
    _check(locked, issue=issue, again=again)
    taken = Article.objects.filter(issue=issue, section=section).aggregate(Max("position"))
    article = Article(
        issue=issue,
        section=section,
        position=(taken["position__max"] or 0) + 1,
        title=locked.title[:TITLE_MAX],
        source=locked.source_name[:SOURCE_MAX],
        author=locked.author[:AUTHOR_MAX],
        summary=locked.summary,
        body=body,
        status=Article.Status.DRAFT,
        visibility=Article.Visibility.ALL,
        created_by=user,
        updated_by=user,
    )
    try:
        article.full_clean()
    except ValidationError as error:
        raise AdoptRefused(f"无法建立文章：{'；'.join(error.messages)}") from error
    article._history_user = user
    article._change_reason = f"采用素材：{locked.source_name}"[:HISTORY_REASON_LENGTH]
    article.save()
    article.industries.set(locked.industries.all())
    locked.state, locked.article = Clipping.State.USED, article
    locked.save(update_fields=["state", "article"])
    return article


def _body_with_images(clipping) -> tuple[str, list[str], int]:
    """The article's body: the clipping's text with its images stored here, and the link to
    the original. Returns the body, the names of the files stored, and how many images were
    left out.

    The clipping's HTML went through the sanitizer, which keeps no address of another site:
    its n-th <img> stands for `image_urls[n]` (apps.intake.extracting).
    """
    html = clipping.html or ""
    stored: list[str] = []
    dropped = 0
    if html.strip():
        root = lxml.html.fragment_fromstring(html, create_parent="div")
        addresses = iter(clipping.image_urls or [])
        urls: dict[str, str | None] = {}
        # All images together stay well inside the proxy's 60 s: late ones are left out.
        deadline = time.monotonic() + IMAGES_TIME_FACTOR * settings.INTAKE_TOTAL_TIMEOUT
        for img in list(root.iter("img")):
            address = next(addresses, "")
            local = _stored_copy(clipping.url, address, urls, stored, deadline)
            if local is None:
                dropped += 1
                # A figure holding only this image would be left with its caption alone.
                figure = img.getparent()
                if figure.tag == "figure" and len(figure.findall(".//img")) == 1:
                    figure.drop_tree()
                else:
                    img.drop_tree()
            else:
                img.set("src", local)
        html = lxml.html.tostring(root, encoding="unicode")
    link = escape(clipping.url)
    body = sanitize_html(f'{html}<p>原文链接：<a href="{link}">{link}</a></p>')
    return body, stored, dropped


def _stored_copy(page_url, address, urls, stored, deadline) -> str | None:
    """This site's address of the image at `address` (relative to `page_url`), fetched and
    stored once; None if it fails, is not an address, or the time for images is up."""
    try:
        url = urljoin(page_url, address) if address else ""
        fetchable = urlsplit(url).scheme in ("http", "https")
    except ValueError:  # "http://[oops/": not an address
        return None
    if url in urls:
        return urls[url]
    tried = len(urls)
    urls[url] = None
    left = deadline - time.monotonic()
    if fetchable and tried < MAX_IMAGES and left > 0:
        try:
            fetched = outbound.fetch(url, timeout=left)
            image = reencode_image(ContentFile(fetched.body, name="image"))
        except (outbound.FetchError, ValidationError):
            return None
        name, urls[url] = store_editor_image(image)
        stored.append(name)
    return urls[url]


def _delete(names) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            pass  # the transaction is what matters; an orphan file is harmless
