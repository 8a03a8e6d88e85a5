"""The one sanitizer for rich text, and the model field that applies it on every save.

The allow-list is what CKEditor 5 produces with the toolbar in settings.CKEDITOR_5_CONFIGS;
anything else (scripts, event handlers, styles, iframes, forms, unsafe URLs) is removed before
the text is stored, so templates may render stored rich text as it is.
"""

import re

import nh3
from django_ckeditor_5.fields import CKEditor5Field

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "sub", "sup",
    "a", "ul", "ol", "li", "blockquote", "hr",
    "figure", "figcaption", "img",
    "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}
# CKEditor 5 marks images and tables with these classes on <figure>; no others are kept.
ALLOWED_CLASSES = {"figure": {"image", "table", "image_resized"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Images come from our own uploads only: a remote image would tell a third party who is
    # reading the internal bulletin, and when.
    if tag == "img" and attribute == "src" and not _is_local_path(value):
        return None
    return value


# A path on this site: one leading slash, then no backslash, whitespace or control character
# (browsers drop tabs and newlines from URLs, which would turn "/\t/host" into "//host").
LOCAL_PATH = re.compile(r"/(?![/\\])[^\s\\\x00-\x1f\x7f]*")


def _is_local_path(url: str) -> bool:
    return LOCAL_PATH.fullmatch(url) is not None


def sanitize_html(html: str) -> str:
    """Return `html` reduced to the allow-list."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=ALLOWED_URL_SCHEMES,
        # Links never open new windows (no target attribute), so rel="noopener" adds nothing.
        link_rel=None,
        strip_comments=True,
        attribute_filter=_keep_attribute,
    )


class RichTextField(CKEditor5Field):
    """A CKEditor 5 text field whose value is sanitized whenever it is written to the database."""

    def pre_save(self, model_instance, add):
        value = sanitize_html(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        # Also covers queryset.update() and bulk_create(), which skip pre_save.
        return super().get_prep_value(sanitize_html(value) if value else value)
