"""Hostile input never gives HTTP 500: every route of the site, every admin list filter.

What is asked, as a superuser, an editor, a subscriber and an anonymous visitor:
1. every route of the URL resolver, each of its arguments replaced by each hostile value: the
   reader pages, and each ModelAdmin's add, change, history and delete pages with a malformed
   object id, and the project's admin pages (workflow steps, preview, compare, one version,
   readership, import, export and the import template) and the libraries' (django-otp);
2. every route outside the admin with real arguments (an issue, an article, an industry), with
   each hostile value in each query parameter the page reads (found by watching which the page
   asks for) and in the fields of its forms;
3. each registered ModelAdmin's list with each list_filter parameter, its search and its date
   hierarchy; the workflow's steps, compare and version pages on real objects.
The answer must be the page, a redirect or a 4xx; never a 500.
"""

import re
from functools import partial
from urllib.parse import quote, urlencode

import pytest
from django.contrib import admin
from django.contrib.admin import FieldListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import QueryDict
from django.test import RequestFactory
from django.urls import URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from django.utils.datastructures import MultiValueDict

from apps.articles.models import Article, Industry
from apps.core.ids import parse_id
from apps.feedback.models import Feedback
from apps.subscribers.models import Subscriber
from apps.workflow import steps
from tests.factories import ArticleFactory, IssueFactory, StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

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
    # Overlong: 10,000 characters, some of them Chinese (all-Chinese would make every URL
    # 90 KB once encoded and the walk slow, without asking anything new).
    "长" * 10 + "x" * 9_990,
]

# Django reads an `__isnull` filter as yes unless it is "", "false" or "0": every hostile value
# asks the same question there, and NUL is refused before.
YES_OR_NO = ["abc", "\x00"]

# Date-hierarchy links carry a year, a month and a day; each takes its turn being hostile.
DATE_PARTS = ("year", "month", "day")
EDGE_DAYS = [("9999", "12", "31"), ("9999", "12", None), ("9999", None, None), ("1", "1", "1")]

LOGOUT_NAMES = {"logout", "admin:logout"}  # never posted to: the walk would end signed out
VISITORS = ["superuser", "editor", "subscriber", "anonymous"]


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
    """`client` signed in as the visitor (anonymous: as it is)."""
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
    text = str(pattern).replace("{", "{{").replace("}", "}}")  # literal braces, for format()
    if isinstance(pattern, RoutePattern):
        names = re.findall(r"<(?:\w+:)?(\w+)>", text)
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text), names
    names = []

    def group(match):
        names.append(match.group(1) or f"arg{len(names)}")
        return "{" + names[-1] + "}"

    regex = text.removeprefix("^").removesuffix("$")
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


# Each ModelAdmin's own pages are asked in part 3 (the list) or in part 1 only (the object
# pages: an object id is their input besides the forms, which Django's ModelForms validate).
ADMIN_OBJECT_VIEWS = ("changelist", "add", "change", "delete", "history", "simple_history")


def admin_object_views():
    return {
        f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"
        for model in admin.site._registry
        for view in ADMIN_OBJECT_VIEWS
    }


def real_paths(content):
    """Every route with real arguments where they name things, but the admin's list and object
    pages: (name, path)."""
    issue = content["issue"]
    arguments = {
        "year": issue.year,
        "number": issue.number,
        "pk": content["article"].pk,
        "slug": Industry.objects.first().slug,
        "issue_id": issue.pk,  # readership
    }
    skipped = admin_object_views()
    for name, template, names in routes():
        if name in skipped or not set(names) <= arguments.keys():
            continue
        if template.startswith("/admin/") and "pk" in names:  # another model's pk
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


def parameters_read(get, monkeypatch):
    """The page (`get()` without parameters) and the query parameters it reads: asked again
    with the ones found, all together and each alone, until no new one appears (a search
    reads its filters, and its page number only when they are valid, once there is a query)."""
    page, found, tried = None, set(), set()
    while True:
        asked = set()
        for probe in [frozenset(found), *(frozenset([key]) for key in found)]:
            if probe in tried:
                continue
            tried.add(probe)
            with monkeypatch.context() as patch:
                watch = QueryWatch(patch)
                response = get(dict.fromkeys(probe, "1"))
            if page is None:  # the first probe asks for the page as it is
                page = response
            asked |= {key for key in watch.asked if isinstance(key, str)}
        if asked <= found:
            return page, found
        found |= asked


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
        for value in YES_OR_NO if name.endswith("__isnull") else HOSTILE:
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


def is_refusal(response):
    return response.status_code == 403 or is_login_redirect(response)


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

    # 1. Every route, each argument hostile. Where the first value finds this visitor refused
    # (sent to log in, or 403), the rest but NUL are left to the visitors it admits: a route
    # refuses before it reads its arguments, or reads them with the same code for everyone
    # (the superuser asks every route with every value).
    for paths in hostile_paths():
        first, *others = paths
        if visitor != "superuser" and is_refusal(ask("get", first)):
            others = [path for path in others if "%00" in path]
        for path in others:
            ask("get", path)

    # 2. Every route with real arguments (the admin's lists and object pages follow): each
    # query parameter the page reads, each field of its forms.
    for name, path in real_paths(content):
        if name in LOGOUT_NAMES:
            continue
        page, parameters = parameters_read(partial(ask, "get", path), monkeypatch)
        if is_refusal(page):
            continue
        for parameter in sorted(parameters):
            for value in HOSTILE:
                ask("get", path, {parameter: value})
        # The admin's forms are ModelForms, validated by Django; its login is everyone's.
        fields = form_fields(page) if name == "admin:login" or "/admin/" not in path else ()
        for value in HOSTILE if fields else ():
            ask("post", path, dict.fromkeys(fields, value))

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


# --- the ten requests reported with HTTP 500, and how each is answered now ----------------------

ARTICLES, LOGS = "/admin/articles/article/", "/admin/workflow/transitionlog/"


@pytest.mark.parametrize(
    ("visitor", "method", "path", "status"),
    [
        # Strict ids (apps.core.ids.parse_id): a Unicode digit names nothing.
        ("subscriber", "get", "/feedback/?article=²", 404),
        ("subscriber", "get", "/feedback/?issue=①", 404),
        # NUL refused at the door (config.bad_input) with the Chinese 400 page.
        ("superuser", "get", f"{ARTICLES}?title=%00", 400),
        ("superuser", "get", f"{ARTICLES}?q=%00", 400),
        ("superuser", "get", f"{ARTICLES}?status__exact=%00", 400),
        ("superuser", "post", "transition with comment=NUL", 400),
        # Version ids read strictly: no such version.
        ("superuser", "get", "compare?old=abc&new=1", 404),
        # The calendar's edges (apps.core.changelists): the list, or "invalid filter" (?e=1).
        ("superuser", "get", f"{ARTICLES}?created_at__gte=9999-12-31", 200),
        (
            "superuser",
            "get",
            f"{ARTICLES}?created_at__year=9999&created_at__month=12&created_at__day=31",
            302,
        ),
        ("superuser", "get", f"{LOGS}?at__year=9999&at__month=12&at__day=31", 302),
        ("superuser", "get", f"{LOGS}?at__year=9999", 302),
        # PostgreSQL compares the date as given; SQLite shifts it to UTC, before year 1.
        ("superuser", "get", f"{LOGS}?at__gte=0001-01-01", (200, 302)),
        ("editor", "get", f"{ARTICLES}?created_at__year=99999999999999999999", 302),
    ],
)
def test_the_requests_reported_with_a_500(client, editor, content, visitor, method, path, status):
    client = visitor_client(client, visitor, editor)
    draft = content["draft"]
    if path.startswith("transition"):
        path = reverse("admin:articles_article_transition", args=[draft.pk, "submit"])
        response = client.post(path, {"comment": "送审\x00"})
    elif path.startswith("compare"):
        compare = reverse("admin:articles_article_compare", args=[draft.pk])
        response = client.get(compare + path.removeprefix("compare"))
    else:
        response = getattr(client, method)(path)
    assert response.status_code in (status if isinstance(status, tuple) else (status,))
    if response.status_code == 302:
        assert response["Location"].endswith("?e=1")  # Django's "invalid filter" mark
    if response.status_code == 400:
        assert "请求无法处理" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT  # the refused step changed nothing


def test_the_nul_guard_runs_before_the_session_is_read(settings):
    middleware = settings.MIDDLEWARE
    guard = middleware.index("config.bad_input.RejectNulMiddleware")
    assert guard < middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
    assert guard > middleware.index("config.security.SecurityHeadersMiddleware")  # gets CSP


OCTAL_NUL = "\\000"


@pytest.mark.parametrize(
    ("where", "request_kwargs"),
    [
        ("path", {"path": "/articles/1%00/"}),
        (
            "form field",
            {"path": "/accounts/login/", "method": "post", "data": {"username": "a\x00"}},
        ),
        ("field name", {"path": "/accounts/login/", "method": "post", "data": {"a\x00": "1"}}),
        # A quoted cookie value may spell NUL as an octal escape; this one is a session key.
        ("cookie", {"path": "/", "HTTP_COOKIE": f'sessionid="{OCTAL_NUL * 8}"'}),
        ("header", {"path": "/accounts/login/", "HTTP_USER_AGENT": "x\x00"}),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_nul_is_refused_wherever_it_comes(client, where, request_kwargs):
    kwargs = dict(request_kwargs)
    path, method, data = kwargs.pop("path"), kwargs.pop("method", "get"), kwargs.pop("data", {})
    response = getattr(client, method)(path, data, **kwargs)
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()


def test_an_uploaded_file_may_hold_nul(client, editor):
    """Only the form's text is looked at: images are binary."""
    client.force_login(editor)
    upload = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x00", "image/png")
    response = client.post(reverse("editor_image_upload"), {"upload": upload})
    assert "请求无法处理" not in response.content.decode()  # judged by the image checks


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("42", 42),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), None),  # beyond BigAutoField
        ("99999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("²", None),
        ("①", None),
        ("٣", None),  # int() would read 3
        (" 1", None),
        ("1 ", None),
        ("1\n", None),
        ("1_0", None),  # int() would read 10
        ("1.5", None),
        ("1e3", None),
        ("abc", None),
        ("", None),
        (None, None),
        (1, None),  # text only
    ],
)
def test_ids_are_ascii_digits_within_the_bigautofield_range(text, expected):
    assert parse_id(text) == expected
