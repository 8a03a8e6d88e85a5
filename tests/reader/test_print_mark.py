"""The print page's mark for every printed page: a stylesheet per reader, under the issue."""

import re

import pytest
from django.urls import reverse

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.subscribers.models import Subscriber
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

# The one string the stylesheet writes: plain characters and CSS escapes ("\hex "), no quote,
# backslash or line break of its own.
CONTENT = re.compile(r'content: "((?:[^"\\\n]|\\[0-9a-f]{1,6} )*)";')


def css_text(escaped):
    return re.sub(r"\\([0-9a-f]{1,6}) ", lambda m: chr(int(m.group(1), 16)), escaped)


@pytest.fixture
def issue():
    issue = IssueFactory(visible=True, year=2024, number=3)
    ArticleFactory(issue=issue, status=Article.Status.PUBLISHED)
    return issue


def mark_url(issue):
    return reverse("reader:issue_print_mark", args=[issue.year, issue.number])


def test_the_print_page_prints_the_readers_mark_on_every_page(client, issue):
    hostile = '许昌"; } body { display: none } /* \\ 单位\n<style>'
    reader = SubscriberFactory(organization=hostile, user__first_name="", user__last_name="张三")
    client.force_login(reader.user)
    page = client.get(reverse("reader:issue_print", args=[2024, 3])).content.decode()
    assert f'<link rel="stylesheet" href="{mark_url(issue)}">' in page

    response = client.get(mark_url(issue))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    css = response.content.decode()
    assert "@page { @bottom-left {" in css and css.startswith("@media print {")
    # Whatever the organization holds, it stays inside the one string, and reads as typed.
    found = CONTENT.findall(css)
    assert len(found) == 1
    assert css_text(found[0]).startswith(f"张三 · {hostile} · ")
    assert css.count("{") == css.count("}") == 3


def test_only_readers_of_the_issue_get_its_mark(client, issue):
    hidden = IssueFactory(status=Issue.Status.DRAFT, year=2024, number=4)
    assert client.get(mark_url(issue)).status_code == 302  # to the login page
    client.force_login(SubscriberFactory(kind=Subscriber.Kind.ENTERPRISE).user)
    assert client.get(mark_url(hidden)).status_code == 404
    assert client.get(mark_url(issue)).status_code == 200
