"""Hostile input never gives HTTP 500: every route of the site, every admin list filter.

What is asked, as a superuser, an editor, a subscriber and an anonymous visitor:
- every route of the URL resolver, each of its arguments replaced by each hostile value
  (the admin's add, change, history and delete pages with a malformed object id among them);
- every route again with real arguments (an issue, an article, an object of each admin), with
  each hostile value in each query parameter the page reads (found by watching which the page
  asks for), and in each field of the page's forms;
- each registered ModelAdmin's list with each list_filter parameter, its search and its date
  hierarchy; the project's own admin pages (workflow steps, compare, history, preview,
  readership, import and export) with hostile values.
The answer must be the page, a redirect or a 4xx; never a 500.
"""

import re
from urllib.parse import quote, urlencode

import pytest
from django.contrib import admin
from django.contrib.admin import FieldListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.db import transaction
from django.http import QueryDict
from django.test import RequestFactory
from django.urls import URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from django.utils.datastructures import MultiValueDict

from apps.articles.models import Article, Industry
from apps.feedback.models import Feedback
from apps.subscribers.models import Subscriber
from apps.workflow import steps
from tests.factories import ArticleFactory, IssueFactory, StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

BAD_INPUT_MIDDLEWARE = "config.bad_input.RejectNulMiddleware"

HOSTILE = [
    "²",  # a digit to str.isdigit(), not to int()
    "①",
    "٣",  # a digit to int() too: 3
    "\x00",  # PostgreSQL refuses NUL in text
    "99999999999999999999",  # beyond a 64-bit id
    "-1",
    "0001-01-01",  # the calendar's edges, and a day that does not exist
    "9999-12-31",
    "2024-02-30",
    "abc",  # not ids
    "1.5",
    "1e3",
    " 1",
    "长" * 10_000,  # overlong
]

# Date-hierarchy links carry a year, a month and a day; each takes its turn being hostile.
DATE_PARTS = ("year", "month", "day")
EDGE_DAYS = [("9999", "12", "31"), ("9999", "12", None), ("9999", None, None), ("1", "1", "1")]

LOGOUT_NAMES = {"logout", "admin:logout"}  # asked with hostile values, but never posted to
VISITORS = ["superuser", "editor", "subscriber", "anonymous"]


@pytest.fixture(autouse=True)
def bad_input_middleware(settings):
    """The NUL guard, where config/settings.py puts it (after WhiteNoise, before sessions)."""
    if BAD_INPUT_MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        at = middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
        settings.MIDDLEWARE = [*middleware[:at], BAD_INPUT_MIDDLEWARE, *middleware[at:]]


@pytest.fixture
def content(editor, reviewer):
    """One of each thing the pages show, in each state a workflow step starts from."""
    issue = IssueFactory(visible=True, year=2025, number=4, created_by=reviewer)
    article = ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, created_by=reviewer)
    article.industries.set([Industry.objects.first()])
    draft_issue = IssueFactory(created_by=editor, year=2025, number=5)
    draft = ArticleFactory(issue=draft_issue, created_by=editor, title="草稿")
    draft.title = "改过的草稿"
    draft.save()  # a second version, to compare
    in_review = steps.submit_article(
        ArticleFactory(issue=draft_issue, created_by=editor, title="送审稿"), by=editor
    )
    review_issue = steps.submit_issue(
        IssueFactory(created_by=reviewer, year=2025, number=6), by=reviewer
    )
    reader = SubscriberFactory(user__username="reader1")
    Feedback.objects.create(author=reader.user, message="意见", issue=issue, article=article)
    return {
        "issue": issue,
        "article": article,
        "draft": draft,
        "in_review": in_review,
        "draft_issue": draft_issue,
        "review_issue": review_issue,
    }


def visitor_client(client, name, editor):
    if name == "superuser":
        client.force_login(StaffFactory(username="root", is_superuser=True))
    elif name == "editor":
        client.force_login(editor)
    elif name == "subscriber":
        client.force_login(SubscriberFactory(kind=Subscriber.Kind.ENTERPRISE).user)
    # A 500 comes back as a response (with its exception) instead of failing the request.
    client.raise_request_exception = False
    return client


# --- the routes -------------------------------------------------------------------------------


def routes():
    """Every route: (name, path template with {arg} placeholders, argument names)."""
    return list(_walk(get_resolver(), "/", ""))


def _walk(resolver, prefix, namespace):
    for pattern in resolver.url_patterns:
        text, names = _template(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern, prefix + text, inner)
        else:
            yield (f"{namespace}{pattern.name}" if pattern.name else None), prefix + text, names


def _template(pattern):
    """("issues/<int:year>/", ["year"]) for a route; regex groups become placeholders too."""
    if isinstance(pattern, RoutePattern):
        names = re.findall(r"<(?:\w+:)?(\w+)>", str(pattern))
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern)), names
    names = []

    def group(match):
        names.append(match.group(1) or f"arg{len(names)}")
        return "{" + names[-1] + "}"

    regex = str(pattern).removeprefix("^").removesuffix("$")
    return re.sub(r"\((?:\?P<(\w+)>)?[^()]*\)", group, regex), names


def fill(template, values):
    return template.format(**{name: quote(str(value), safe="") for name, value in values.items()})


def hostile_paths():
    """Every route, as a list of paths: one per hostile value in all its arguments."""
    for _name, template, names in routes():
        if not names:
            yield [template]
        else:
            yield [fill(template, dict.fromkeys(names, value)) for value in HOSTILE]


# --- real arguments, and the query parameters a page reads -------------------------------------


def real_paths(content):
    """Every route outside the admin with real arguments, where its arguments name things:
    (name, path). The admin's lists and its own pages are asked in part 3."""
    issue = content["issue"]
    arguments = {
        "year": issue.year,
        "number": issue.number,
        "pk": content["article"].pk,
        "slug": Industry.objects.first().slug,
    }
    for name, template, names in routes():
        if template.startswith("/admin/") or not set(names) <= arguments.keys():
            continue
        yield name, fill(template, {argument: arguments[argument] for argument in names})


class QueryWatch:
    """Record the query and form parameters a view asks for (.get, [], getlist, `in`)."""

    def __init__(self, monkeypatch):
        self.asked = asked = set()
        getitem, getlist = MultiValueDict.__getitem__, MultiValueDict._getlist

        def watched_getitem(data, key):
            asked.add(key)
            return getitem(data, key)

        def watched_getlist(data, key, *args, **kwargs):
            asked.add(key)
            return getlist(data, key, *args, **kwargs)

        def watched_contains(data, key):
            asked.add(key)
            return dict.__contains__(data, key)

        # On QueryDict only: the URL resolver keeps its names in a MultiValueDict too.
        monkeypatch.setattr(QueryDict, "__getitem__", watched_getitem, raising=False)
        monkeypatch.setattr(QueryDict, "_getlist", watched_getlist, raising=False)
        monkeypatch.setattr(QueryDict, "__contains__", watched_contains, raising=False)


def parameters_read(client, path, monkeypatch):
    """The query parameters `path` reads, asking again with each found one set, until no new
    one appears (a search reads its filters only once there is a query)."""
    found = set()
    while True:
        with monkeypatch.context() as patch:
            watch = QueryWatch(patch)
            client.get(path, dict.fromkeys(found, "1"))
        new = {key for key in watch.asked if isinstance(key, str)} - found
        if not new:
            return found
        found |= new


FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)
FIELD = re.compile(r"<(?:input|textarea|select)\b[^>]*\bname=\"([^\"]+)\"", re.I)


def form_fields(response):
    """Names of the fields of the page's POST forms (not the CSRF token)."""
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return set()
    page = response.content.decode()
    names = {name for form in FORM.findall(page) for name in FIELD.findall(form)}
    return names - {"csrfmiddlewaretoken"}


# --- the admin's lists ------------------------------------------------------------------------


def filter_parameters(model_admin, request):
    """The query parameters of the admin list's filters, search and paging."""
    names = {"q"} if model_admin.get_search_fields(request) else set()
    for list_filter in model_admin.get_list_filter(request):
        if isinstance(list_filter, type):  # a SimpleListFilter
            spec = list_filter(request, {}, model_admin.model, model_admin)
        else:
            field, filter_class = (
                list_filter
                if isinstance(list_filter, (list, tuple))
                else (list_filter, FieldListFilter.create)
            )
            field_path = field if isinstance(field, str) else None
            if field_path is not None:
                field = get_fields_from_path(model_admin.model, field_path)[-1]
            spec = filter_class(
                field, request, {}, model_admin.model, model_admin, field_path=field_path
            )
        names.update(spec.expected_parameters())
    return sorted(names)


def changelist_queries(model_admin, request):
    """Each filter parameter with each hostile value; the date hierarchy's year, month, day."""
    for name in filter_parameters(model_admin, request):
        for value in HOSTILE:
            yield {name: value}
    if model_admin.date_hierarchy:
        year, month, day = (f"{model_admin.date_hierarchy}__{part}" for part in DATE_PARTS)
        for value in HOSTILE:
            yield {year: value}
            yield {year: "2024", month: value}
            yield {year: "2024", month: "2", day: value}
        for edge in EDGE_DAYS:
            yield {key: part for key, part in zip((year, month, day), edge, strict=True) if part}


def workflow_requests(content):
    """(method, path, data): the workflow's own admin pages on real objects, hostile input.

    Every step each object's state allows gets every hostile comment and time (each request
    is rolled back, so each starts from the same state); compare and one version's page get
    hostile version ids.
    """
    reviewer = content["issue"].created_by
    for key in ("draft", "in_review", "draft_issue", "review_issue", "issue"):
        obj = content[key]
        opts = obj._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        transition = reverse(f"{prefix}_transition", args=[obj.pk, "-"]).removesuffix("-/")
        for step in steps.available_transitions(obj, reviewer):
            for value in HOSTILE:
                yield "post", f"{transition}{step.name}/", {"comment": value, "at": value}
        if "schedule" in {step.name for step in steps.available_transitions(obj, reviewer)}:
            for at in ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"):
                yield "post", f"{transition}schedule/", {"comment": "定时", "at": at}
    for key in ("draft", "draft_issue"):
        obj = content[key]
        opts = obj._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        version = obj.history.order_by("history_id").first().history_id
        compare = reverse(f"{prefix}_compare", args=[obj.pk])
        history = reverse(f"{prefix}_history", args=[obj.pk])
        transition = reverse(f"{prefix}_transition", args=[obj.pk, "-"]).removesuffix("-/")
        for value in HOSTILE:
            yield "get", f"{compare}?{urlencode({'old': value, 'new': version})}", None
            yield "get", f"{compare}?{urlencode({'old': version, 'new': value})}", None
            yield "get", f"{history}{quote(value, safe='')}/", None  # one version's page
            yield "post", f"{transition}{quote(value, safe='')}/", {"comment": "意见"}


# --- the walk -----------------------------------------------------------------------------------


def is_login_redirect(response):
    location = response.get("Location", "").split("?")[0]
    return response.status_code == 302 and location in {
        reverse("login"),
        reverse("admin:login"),
    }


@pytest.mark.parametrize("visitor", VISITORS)
def test_no_hostile_input_gives_a_server_error(client, visitor, editor, content, monkeypatch):
    client = visitor_client(client, visitor, editor)
    failures, asked = [], 0

    def ask(method, path, data=None):
        nonlocal asked
        asked += 1
        # Each request in a savepoint that is rolled back: a step taken, a message sent or a
        # failed login counted does not change what the next request finds, and on
        # PostgreSQL a failed query does not abort the test's transaction.
        with transaction.atomic():
            response = getattr(client, method)(path, data)
            transaction.set_rollback(True)
        if response.status_code >= 500:
            error = getattr(response, "exc_info", None)
            failures.append(
                f"{method.upper()} {path[:120]!r} {data!r:.60} → {response.status_code} "
                + (f"{error[1]!r:.160}" if error else "")
            )
        return response

    # 1. Every route, each argument hostile. A route that sends this visitor to the login page
    # does so before it reads its arguments: there the middleware's NUL guard is what is left.
    for paths in hostile_paths():
        if paths[0].rstrip("/").endswith("logout"):
            continue
        first, *others = paths
        if is_login_redirect(ask("get", first)):
            others = [path for path in others if "%00" in path]
        for path in others:
            ask("get", path)

    # 2. Every route with real arguments, outside the admin (its lists and pages follow): each
    # query parameter the page reads, each field of its forms.
    for name, path in real_paths(content):
        if name in LOGOUT_NAMES:
            continue
        page = ask("get", path)
        if is_login_redirect(page):
            continue
        for parameter in sorted(parameters_read(client, path, monkeypatch)):
            for value in HOSTILE:
                ask("get", path, {parameter: value})
        for value in HOSTILE if form_fields(page) else []:
            ask("post", path, dict.fromkeys(form_fields(page), value))

    # 3. Each admin list's filters, search and date hierarchy, where this visitor may see the
    # list (a refused list is refused before its filters are read); the workflow's pages.
    request = RequestFactory().get("/admin/")
    request.user = StaffFactory(username="filters-as-seen-by", is_superuser=True)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        if ask("get", changelist).status_code != 200:
            continue
        for query in changelist_queries(model_admin, request):
            ask("get", f"{changelist}?{urlencode(query)}")
    for method, path, data in workflow_requests(content):
        ask(method, path, data)

    assert not failures, f"{len(failures)} of {asked} requests failed:\n" + "\n".join(failures)
