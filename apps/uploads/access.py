"""Who may see an uploaded file: staff, and those who may read an item that uses it."""

from django.db.models import Exists, OuterRef, Q

from apps.accounts.access import acts_as_staff, may_read
from apps.articles.models import Article
from apps.issues.models import Issue
from apps.uploads.files import file_url
from apps.uploads.models import ImageUse


def may_see_file(user, path: str) -> bool:
    """Return whether `user` may see the uploaded file `path` (canonical, see files.clean_path).

    Staff past the second factor see every file (they edit drafts and preview). A reader sees
    a file that an issue or article they may read uses now, by the one rule of what a reader
    may read (`visible_to`); a file nothing readable uses (a draft's, a replaced cover) is for staff
    only. One query, whatever the number of uses. Each use is confirmed in the item's
    current content, so a row that outlived its image (a `QuerySet.update()`) shows nothing.
    """
    if acts_as_staff(user):
        return True
    if not may_read(user):
        return False
    # The exact attribute value the sanitizer stores ("/media/…" in double quotes).
    quoted_url = f'"{file_url(path)}"'
    articles = Article.objects.visible_to(user).filter(body__contains=quoted_url)
    issues = Issue.objects.visible_to(user).filter(
        Q(cover=path) | Q(editor_note__contains=quoted_url)
    )
    # Driven by the path's few rows (an index), each looking up its one item by primary key:
    # the cost follows the uses of this file, not the size of the archive.
    readable_article = Exists(articles.filter(pk=OuterRef("article_id")))
    readable_issue = Exists(issues.filter(pk=OuterRef("issue_id")))
    return ImageUse.objects.filter(Q(readable_article) | Q(readable_issue), path=path).exists()
