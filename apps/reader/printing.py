"""The printed form of an issue: the print page and the PDF made from the same HTML."""

import mimetypes
import os

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils._os import safe_join

from apps.accounts.access import subscription_of
from apps.articles.models import Article


def print_context(request, issue, *, articles=None, mark=None) -> dict:
    """Everything the print template shows, for the reader making the copy.

    A proof (apps.reader.views.proofs) passes the articles it shows and its own mark.
    """
    if articles is None:
        articles = Article.objects.visible_to(request.user).filter(issue=issue)
    if mark is None:
        subscription = subscription_of(request.user)
        reader = request.user.get_full_name() or request.user.get_username()
        if subscription is not None:
            reader = f"{reader} · {subscription.organization}"
        mark = f"{reader} · {timezone.localtime():%Y-%m-%d %H:%M}"
    return {
        "issue": issue,
        "articles": articles.for_contents().prefetch_related("corrections"),
        # A discreet mark of who made this copy: a deterrent against passing it on.
        "reader_mark": mark,
    }


def render_pdf(request, issue, context=None) -> bytes:
    """Render the print page to PDF with WeasyPrint; fonts come from the system (Noto CJK)."""
    from PIL import ImageFile
    from weasyprint import HTML  # imported here: only the PDF view needs it

    # Importing WeasyPrint tells Pillow to accept truncated images, for the whole process.
    # Uploads must stay strict (apps.core.images); our PDFs hold only images we re-encoded.
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    context = context if context is not None else print_context(request, issue)
    html = render_to_string("issues/issue_print.html", context, request)
    return HTML(string=html, base_url=LOCAL, url_fetcher=_local_files_fetcher()).write_pdf()


LOCAL = "http://bulletin.local/"


def _local_files_fetcher():
    """A WeasyPrint fetcher that reads our static files and uploads from disk, nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFilesFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = _local_path(url)
            if path is None:
                raise ValueError(f"不加载外部资源：{url}")
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            with open(path, "rb") as file:
                body = file.read()
            return URLFetcherResponse(url, body, {"Content-Type": content_type})

    return LocalFilesFetcher()


def _local_path(url):
    if not url.startswith(LOCAL):
        return None
    path = url[len(LOCAL) :].split("?")[0]
    static_prefix = settings.STATIC_URL.lstrip("/")
    media_prefix = settings.MEDIA_URL.lstrip("/")
    if path.startswith(static_prefix):
        return _static_file(path[len(static_prefix) :])
    if path.startswith(media_prefix):
        candidate = safe_join(settings.MEDIA_ROOT, path[len(media_prefix) :])
        return candidate if os.path.isfile(candidate) else None
    return None


def _static_file(name):
    """The file behind a static URL, under whatever storage production uses.

    With the manifest storage the URL names the hashed copy (print.<hash>.css), which exists
    only in STATIC_ROOT; in development the finders know the source files.
    """
    if storage_path := _stored(name):
        return storage_path
    return finders.find(name)


def _stored(name):
    try:
        path = staticfiles_storage.path(name)
    except NotImplementedError:  # a storage without local files
        return None
    return path if os.path.isfile(path) else None
