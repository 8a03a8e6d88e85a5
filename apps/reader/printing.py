"""The printed form of an issue: the print page and the PDF made from the same HTML.

The PDF of an issue is rendered once per audience and content revision (apps.reader.pdf_cache)
without any reader's mark; each download then gets the reader's mark stamped onto every page
(`stamp`), a one-line overlay that costs a few tens of milliseconds instead of a whole render.
"""

import io
import mimetypes
import os
import re
import threading
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils._os import safe_join
from django.utils.html import escape

from apps.accounts.access import subscription_of
from apps.articles.models import Article

# What a mark's CSS string may hold as it is: letters, digits and CJK characters.
_PLAIN = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff]")


def reader_mark(user) -> str:
    """Who made this copy, and when: a discreet deterrent against passing it on."""
    subscription = subscription_of(user)
    reader = user.get_full_name() or user.get_username()
    if subscription is not None:
        reader = f"{reader} · {subscription.organization}"
    return f"{reader} · {timezone.localtime():%Y-%m-%d %H:%M}"


def mark_stylesheet(mark: str) -> str:
    """CSS that prints the reader's mark in the bottom margin of every page (the print page).

    Browsers that lay out page-margin boxes (Chromium since 131) repeat it on each printed page,
    beside the page number and clear of the text, as the PDF has it; elsewhere the line above
    the masthead remains. Every character but letters, digits and CJK is written as a CSS escape,
    so nothing in a name or an organization can end the string or the rule.
    """
    text = "".join(ch if _PLAIN.match(ch) else f"\\{ord(ch):x} " for ch in mark)
    return (
        "@media print {\n"
        '  @page { @bottom-left { content: "' + text + '"; '
        "font: 7pt/1.3 sans-serif; color: #777; } }\n"
        "}\n"
    )


def print_context(request, issue, *, articles=None, mark="") -> dict:
    """Everything the print template shows, for the reader making the copy.

    A proof (apps.reader.views.proofs) passes the articles it shows. The PDF is rendered
    without a mark (`mark=""`) and stamped per reader afterwards.
    """
    if articles is None:
        articles = Article.objects.visible_to(request.user).filter(issue=issue)
    return {
        "issue": issue,
        "articles": articles.for_contents().prefetch_related("corrections"),
        "reader_mark": mark,
    }


def render_pdf(request, issue, context=None) -> bytes:
    """Render the print page to PDF with WeasyPrint; fonts come from the system (Noto CJK).

    Without a mark: each copy gets its reader's mark stamped on afterwards (`stamp`).
    """
    context = context if context is not None else print_context(request, issue)
    html = render_to_string("issues/issue_print.html", {**context, "pdf": True}, request)
    return (
        _weasyprint()
        .HTML(string=html, base_url=LOCAL, url_fetcher=_local_files_fetcher())
        .write_pdf()
    )


def _weasyprint():
    import weasyprint  # imported here: only the PDF views need it
    from PIL import ImageFile

    # Importing WeasyPrint tells Pillow to accept truncated images, for the whole process.
    # Uploads must stay strict (apps.core.images); our PDFs hold only images we re-encoded.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


# The mark's box on an A4 page (print.css: margins 22mm 20mm 24mm): in the bottom margin,
# right-aligned to the text's right edge, below the last line of text (24mm up) and clear of
# the page number in the middle (a 72mm box starts 13mm right of the centre).
#
# Its font is the body's serif cut down to GB 2312, ASCII and common punctuation (fonts/, made
# by `make mark-font`): WeasyPrint subsets the font of every copy's mark, and subsetting the
# system's whole Noto Serif CJK collection took half of a download's time (and put 84 KB into
# every copy, 28 KB now). A character outside it comes from Noto Serif CJK SC, as before.
MARK_FONT = Path(__file__).resolve().parent / "fonts" / "NotoSerifCJKsc-Mark.otf"
_MARK_PAGE = """<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><style>
@font-face {{ font-family: "Reader Mark"; src: url("{font}"); }}
@page {{ size: A4; margin: 0; }}
html, body {{ margin: 0; }}
.reader-mark {{ position: absolute; right: 20mm; bottom: 6mm; width: 72mm; max-height: 14mm;
  overflow: hidden; text-align: right; font: 7pt/1.35 "Reader Mark", "Noto Serif CJK SC",
  "Source Han Serif SC", serif; color: #777; }}
</style></head><body><div class="reader-mark">{mark}</div></body></html>"""


def mark_overlay(mark: str) -> bytes:
    """A one-page A4 PDF with nothing but the reader's mark in the bottom margin."""
    font = MARK_FONT.as_uri()
    html = _MARK_PAGE.format(font=font, mark=escape(mark))
    fetcher = _local_files_fetcher(lambda url: MARK_FONT if url == font else None)
    return _weasyprint().HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=_mark_fonts())


_marks = threading.local()


def _mark_fonts():
    """The marks' font configuration: made once per thread (WeasyPrint's fonts are not shared
    between threads), so the mark font is read once, not for every copy."""
    if not hasattr(_marks, "fonts"):
        from weasyprint.text.fonts import FontConfiguration

        _weasyprint()
        _marks.fonts = FontConfiguration()
    return _marks.fonts


def stamp(pdf: bytes, mark: str) -> bytes:
    """Return `pdf` with `mark` on every page, in the bottom margin, never over the text.

    The overlay becomes one form XObject that every page draws after its own content: no
    page's content is parsed or rewritten (pypdf's merge_page would, at several times the cost).
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    overlay = PdfReader(io.BytesIO(mark_overlay(mark))).pages[0]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    form = DecodedStreamObject()
    form.set_data(overlay.get_contents().get_data())
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): overlay.mediabox,
            NameObject("/Resources"): overlay["/Resources"].clone(writer),
        }
    )
    form_ref = writer._add_object(form)
    # The page's own content may leave a transformation in force: draw the mark after
    # restoring the state saved before it.
    before = writer._add_object(_stream(b"q\n"))
    after = writer._add_object(_stream(b"\nQ q /ReaderMark Do Q\n"))
    for page in writer.pages:
        contents = page.get("/Contents")
        contents = contents.get_object() if contents is not None else ArrayObject()
        if not isinstance(contents, ArrayObject):
            contents = ArrayObject([page.raw_get("/Contents")])
        page[NameObject("/Contents")] = ArrayObject([before, *contents, after])
        resources = page.setdefault(NameObject("/Resources"), DictionaryObject()).get_object()
        xobjects = resources.setdefault(NameObject("/XObject"), DictionaryObject()).get_object()
        xobjects[NameObject("/ReaderMark")] = form_ref
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stream(data: bytes):
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


LOCAL = "http://bulletin.local/"


def _local_files_fetcher(resolve=None):
    """A WeasyPrint fetcher that reads our static files and uploads from disk, nothing else
    (`resolve`: the URL's file, or None to refuse it; our static files and uploads by default)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    resolve = resolve or _local_path

    class LocalFilesFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = resolve(url)
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
