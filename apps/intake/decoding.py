"""Turn the bytes a site sent into text, reading its charset as a browser would.

The charset is taken, in this order, from:
1. a byte-order mark (UTF-8, UTF-16), which no declaration can contradict;
2. the charset of the Content-Type header, unless it is ISO-8859-1, a server's default rather
   than the author's word, and the document declares another;
3. the document's own declaration: an XML declaration's encoding (feeds, XHTML), else
   `<meta charset=…>` or `<meta http-equiv="Content-Type" content="…; charset=…">`;
4. detection with charset-normalizer.
A declared charset is used only if Python knows it as a text encoding and it reads the bytes
with next to no errors; an unknown, bogus or plainly wrong name falls through to the next step.
GB2312 and GBK are read as GB18030, their superset: pages that declare GB2312 routinely hold
GBK characters (镕, 喆, 啰), which a strict GB2312 reading would turn into garbage.

Every module that reads what a source returned raises ReadError, defined here, with a reason
in Chinese for the source's state.
"""

import codecs
import re

# Labels browsers know that Python does not (the WHATWG Encoding Standard's names).
LABELS = {"x-gbk": "gbk", "gb_2312-80": "gb2312", "csgb2312": "gb2312", "chinese": "gb2312",
          "iso-ir-58": "gb2312", "x-gb2312": "gb2312", "x-x-big5": "big5"}  # fmt: skip
# Python codecs replaced by the superset browsers read in their place: GB18030 reads all the
# Chinese national charsets; Big5 as sites use it has the Hong Kong additions; Latin-1 and
# ASCII are read as Windows-1252.
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "cp950": "big5hkscs",
             "iso8859-1": "cp1252", "ascii": "cp1252"}  # fmt: skip
# A server's default rather than the author's choice: Java and PHP servers label every page
# ISO-8859-1 unless told otherwise, and every byte sequence reads as Latin-1, so no error
# would reveal it. The document's own different declaration is believed first.
SERVER_DEFAULTS = {"cp1252"}
# Encodings a browser refuses to honour from a page (UTF-7 smuggles markup past filters).
REFUSED = {"utf-7"}
BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]

HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^"';,\s]+)""", re.IGNORECASE)
XML_DECLARATION = re.compile(
    rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
# The declaration sits in the head; real pages put a lot of script before it.
PRESCAN_BYTES = 16 * 1024

# A declared charset under which more than this share of the non-ASCII characters come out as
# replacement characters is the wrong one (a right one leaves at most a few stray bytes).
TOLERATED_ERRORS = 0.01
# Past this share of replacement and control characters the bytes are no text at all (an
# image, an archive): the page cannot be read.
UNREADABLE = 0.1
GARBAGE = re.compile(r"[\ufffd\x00-\x08\x0b\x0e-\x1f]")


class ReadError(Exception):
    """A response that could not be read as the page or feed it should be; `str(error)` is
    the reason in Chinese."""


def decode(body: bytes, content_type: str = "") -> str:
    """Return `body` as text, reading its charset from the header, the document or the bytes.

    Raise ReadError only when no reading gives text (mostly replacement characters)."""
    if not body:
        return ""
    for bom, encoding in BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    declared = [python_codec(header_charset(content_type)), python_codec(document_charset(body))]
    if declared[0] in SERVER_DEFAULTS and declared[1] is not None:
        declared.reverse()
    readings = []
    for encoding in declared:
        if encoding is None:
            continue
        text = body.decode(encoding, errors="replace")
        if _wrong_share(text) <= TOLERATED_ERRORS:
            return text
        readings.append(text)
    readings.append(_detected(body))
    best = min(readings, key=_wrong_share)
    if len(best) - len(GARBAGE.sub("", best)) > UNREADABLE * len(best):
        raise ReadError("无法识别网页编码")
    return best


def header_charset(content_type: str) -> str:
    """The charset named in a Content-Type header value, or ""."""
    match = HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else ""


def document_charset(body: bytes) -> str:
    """The charset the document declares for itself (XML declaration, then meta), or ""."""
    head = body[:PRESCAN_BYTES]
    for pattern in (XML_DECLARATION, META_CHARSET):
        match = pattern.search(head)
        if match:
            return match.group(1).decode("ascii")
    return ""


def python_codec(name: str) -> str | None:
    """The Python codec that reads text declared as `name`, or None for an unknown name."""
    if not name:
        return None
    label = name.strip().lower()
    try:
        codec = codecs.lookup(LABELS.get(label, label))
    except LookupError:
        return None
    if not getattr(codec, "_is_text_encoding", True) or codec.name in REFUSED:
        return None
    if codec.name.startswith(("utf-16", "utf-32")):
        # A declaration readable as ASCII cannot be in UTF-16; browsers read such pages as UTF-8.
        return "utf-8"
    return SUPERSETS.get(codec.name, codec.name)


def _detected(body: bytes) -> str:
    # Imported here: the models use this module's ReadError, and every web process loads the
    # models; the detector (4 MiB) is needed only when a page does not name its charset.
    from charset_normalizer import from_bytes

    match = from_bytes(body).best()
    encoding = python_codec(match.encoding) if match is not None else None
    return body.decode(encoding or "utf-8", errors="replace")


def _wrong_share(text: str) -> float:
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    return text.count("\ufffd") / max(non_ascii, 1)
