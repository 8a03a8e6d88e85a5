"""Feedback longer than 2,000 characters is refused with the text kept, never cut silently.

The text box had maxlength="2000": a browser cuts a longer paste there without a word, so the
reader sent a truncated message believing it whole. Now the box has no maxlength; a script
(static/js/char-count.js) shows how many characters are left, and the server refuses a longer
text with a message, the whole text still in the box. Runs on SQLite and on PostgreSQL.
"""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from apps.feedback.models import Feedback

pytestmark = pytest.mark.django_db
URL = reverse("reader:feedback")


def text_box(page):
    return re.search(r"<textarea[^>]*>", page).group(0)


def test_the_box_has_a_counter_hook_and_no_cutting_limit(client, enterprise):
    client.force_login(enterprise)
    page = client.get(URL).content.decode()
    box = text_box(page)
    assert 'data-max-chars="2000"' in box
    assert "maxlength" not in box  # the browser would cut a longer paste silently
    assert '<script src="/static/js/char-count.js" defer></script>' in page
    script = open(finders.find("js/char-count.js"), encoding="utf-8").read()
    assert "textarea[data-max-chars]" in script and "还可输入" in script
    assert "不超过 2000 个字" in page  # said before one starts typing, script or not


def test_a_text_over_the_limit_is_refused_and_kept_whole(client, enterprise):
    client.force_login(enterprise)
    message = "意见" * 1000 + "最后几个字"  # 2,005 characters
    response = client.post(URL, {"message": message})
    assert response.status_code == 400
    page = response.content.decode()
    assert "内容不能超过 2000 个字（当前 2005 个字）" in page
    assert "您填写的内容仍保留在下方" in page
    assert message in page  # the whole text, its end included, in the box again
    assert Feedback.objects.count() == 0


def test_a_text_of_exactly_the_limit_is_stored_whole(client, enterprise):
    client.force_login(enterprise)
    message = "长" * Feedback.MAX_LENGTH
    assert client.post(URL, {"message": message}).status_code == 302
    assert Feedback.objects.get().message == message


def test_line_breaks_count_as_the_counter_counts_them(client, enterprise):
    """A browser sends each line break as CR LF; the reader's counter saw one character."""
    client.force_login(enterprise)
    lines = [f"{i:02d}" + "建" * 97 for i in range(1, 21)]  # 20 lines of 99: 1,999 shown
    typed = "\n".join(lines)
    assert len(typed) <= Feedback.MAX_LENGTH < len(typed.replace("\n", "\r\n"))

    response = client.post(URL, {"message": typed.replace("\n", "\r\n")})
    assert response.status_code == 302
    assert Feedback.objects.get().message == typed
