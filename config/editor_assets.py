"""What the back office loads beside CKEditor 5: the editor's look, its 字数, the size check.

django-ckeditor-5 adds its widget's stylesheet and scripts to every form that shows an editor,
and one more stylesheet named by settings.CKEDITOR_5_CUSTOM_CSS. Django writes a media entry
that has `__html__` as it is (forms.Media), so this one entry brings our stylesheet and our
scripts: they load exactly where an editor is, and nowhere else. All are static files (the
Content-Security-Policy allows scripts and styles from 'self'; nothing here is inline).
"""

from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

STYLESHEETS = ("admin-extra/editor.css",)
# Deferred: they run once the page is parsed, before CKEditor creates its editors.
WORD_COUNT_SCRIPT = "admin-extra/editor-word-count.js"
FORM_SIZE_SCRIPT = "admin-extra/form-size.js"


class EditorAssets:
    """The stylesheet and scripts, as one entry of the editor widget's media."""

    def __html__(self) -> SafeString:
        links = format_html_join(
            "", '<link href="{}" media="all" rel="stylesheet">', ((static(s),) for s in STYLESHEETS)
        )
        word_count = format_html('<script src="{}" defer></script>', static(WORD_COUNT_SCRIPT))
        # The form size check refuses what the server would refuse: it is told the limit.
        form_size = format_html(
            '<script src="{}" data-max-form-bytes="{}" defer></script>',
            static(FORM_SIZE_SCRIPT),
            settings.BACK_OFFICE_DATA_UPLOAD_MAX_MEMORY_SIZE,
        )
        return links + word_count + form_size

    def __str__(self):
        return self.__html__()
