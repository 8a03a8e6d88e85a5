"""Names of uploaded files: from a request, from the URLs in stored rich text, and back.

A file is named by its path relative to MEDIA_ROOT ("editor/2025/03/<hex>.png"), in one
canonical spelling only, so that the name a permission is checked for is the name of the file
that is sent, and the name recorded for an item is the name a request asks for.
"""

import posixpath
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils.encoding import filepath_to_uri

# Longer names are not ours: covers are an ImageField (100 characters), editor images are
# "editor/YYYY/MM/" and a 32-digit hex name.
MAX_PATH_LENGTH = 255


def clean_path(path: str) -> str | None:
    """Return `path` if it names a file inside MEDIA_ROOT, spelt canonically; else None.

    Refused: absolute paths, "..", "." and empty segments, backslashes and control characters
    (whatever their URL encoding was: the URL resolver has decoded them already).
    """
    if not path or len(path) > MAX_PATH_LENGTH:
        return None
    if "\\" in path or any(ord(character) < 32 or character == "\x7f" for character in path):
        return None
    if path.startswith("/") or ".." in path.split("/"):
        return None
    if posixpath.normpath(path) != path:  # "./a", "a//b", "a/./b", "a/"
        return None
    return path


def media_prefix() -> str:
    """Return the URL path under which uploaded files are served ("/media/")."""
    return "/" + urlsplit(settings.MEDIA_URL).path.strip("/") + "/"


def file_url(path: str) -> str:
    """Return the URL path of a file, as the storage writes it into rich text."""
    return media_prefix() + filepath_to_uri(path)


def file_of_url(url: str) -> str | None:
    """Return the file a URL of this site's media points to, or None.

    Only a URL spelt exactly as `file_url` writes it counts (no host, query or fragment, no
    other encoding): the media view confirms a use by finding that very text in the item.
    """
    parts = urlsplit(url)
    prefix = media_prefix()
    if parts.scheme or parts.netloc or parts.query or parts.fragment:
        return None
    if not parts.path.startswith(prefix):
        return None
    path = clean_path(unquote(parts.path.removeprefix(prefix)))
    if path is None or file_url(path) != url:
        return None
    return path


class _FileReferences(HTMLParser):
    # Images, and links to a file (an image linked to its full size).
    ATTRIBUTES = {"img": "src", "a": "href"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.files = set()

    def handle_starttag(self, tag, attrs):
        wanted = self.ATTRIBUTES.get(tag)
        for name, value in attrs:
            if name == wanted and value and (path := file_of_url(value)) is not None:
                self.files.add(path)


def files_in_html(html: str) -> set[str]:
    """Return the uploaded files that rich text shows or links to."""
    if not html:
        return set()
    parser = _FileReferences()
    parser.feed(html)
    parser.close()
    return parser.files


def files_of_issue(*, cover: str, editor_note: str) -> set[str]:
    """Return the files an issue uses: its cover and what its editor's note shows."""
    files = files_in_html(editor_note)
    if cover and (path := clean_path(cover)) is not None:
        files.add(path)
    return files


def files_of_article(*, body: str) -> set[str]:
    """Return the files an article uses: what its body shows."""
    return files_in_html(body)
