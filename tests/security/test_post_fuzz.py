"""Any body, charset or content type posted to any URL: never a 5xx, always one JSON log line.

Issue 18, finding 2: a urlencoded form declared as UTF-16 made ReadFormMiddleware raise; the
400 and then the 500 page ran the CSRF check, which read the body again and raised again, and
the exception left Django (a bare 500, a plain-text traceback, no request id).

The fuzz, with CSRF enforced (a csrftoken cookie, the same token in X-CSRFToken and a same-site
Referer over HTTPS, so that a readable form gets past the check to its view), each request in a
savepoint that is rolled back:

1. The full matrix, content type x charset x body (MATRIX: 9 x 16 charsets x 10 bodies; for
   the content types Django never parses the body does not matter, and two bodies stand for
   the ten: 800 requests), on four representative URLs, each asked by the visitor it is for:
   the login page signed out (the report), the reader's feedback form as a subscriber, an
   admin add page and the editor's image upload as a staff reviewer (the back office's larger
   form limit).
2. A smaller matrix (SAMPLE, 10 combinations: the ways a body is refused, and four odd bodies
   that reach the view) on every route of the URL resolver, with real ids from a small set of
   objects, signed out, as a subscriber and as a staff reviewer. The body is read before the
   URL is resolved, so the full matrix would ask the same parser 130 times over; what differs
   per route is the view that receives what the parser let through.

Each answer must be below 500, an HTML 400 must be the Chinese page, nothing may leave Django
(the test client raises it) or be logged as a server error, and each request must write
exactly one line of the request log (bulletin.requests), carrying the request's id. About 25 s
on SQLite, 40 s on PostgreSQL.

Then the report itself, the error pages, a body that cannot be read at all (a bad
Content-Length, a sender gone), a lone surrogate in a query, and the Content-Type headers
Django fails on while building the request: those through a WSGIHandler, as gunicorn calls it,
because the test client builds its requests itself.
"""

import random
from io import BytesIO

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.handlers.wsgi import WSGIHandler
from django.db import transaction
from django.test import Client

from apps.articles.models import Article, Industry
from apps.feedback.models import Feedback
from apps.notifications import unsubscribe
from apps.subscribers.models import Subscriber
from config.bad_input import readable_content_type
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory
from tests.security.test_hostile_input import fill, routes

pytestmark = [
    pytest.mark.django_db,
    # unicode_escape, one of the charsets asked, warns about the escapes it cannot read.
    pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning"),
]

SECRET = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"  # a CSRF secret: 32 letters
BOUNDARY = "----fuzzBoundary7MA4YWxkTrZu0gW"
TOO_MANY = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1
FIELDS = ("username", "password", "comment", "title", "message")

# --- the matrix ---------------------------------------------------------------------------------

CONTENT_TYPES = {
    "urlencoded": "application/x-www-form-urlencoded",
    "multipart": f"multipart/form-data; boundary={BOUNDARY}",
    "multipart-bad-boundary": "multipart/form-data; boundary=" + "x" * 80,  # over 70: invalid
    "multipart-no-boundary": "multipart/form-data",
    "text": "text/plain",
    "json": "application/json",
    "octet-stream": "application/octet-stream",
    "none": "",
    "garbage": 'g@rbage/;;;="',
}
# Django parses these two into request.POST; the others it never reads.
PARSED = ("urlencoded", "multipart")

CHARSETS = [
    None,  # no charset parameter
    "",
    "utf-8",
    "utf-16",
    "utf-32",
    "latin-1",
    "gb2312",
    "gbk",
    "big5",
    "shift_jis",
    "nonsense",  # no such codec: Django ignores it
    # Codecs Python has that are no use for a form: lone surrogates (utf-7, unicode_escape),
    # not a text encoding (base64), a decoder that fails whatever it is told (idna, punycode).
    "utf-7",
    "unicode_escape",
    "base64",
    "idna",
    "punycode",
]

HONEST = "张三 意见：价格 ¥1,000 — 好"  # what a real form holds


def _encoded(text, charset):
    """`text` in `charset`, as an honest client would send it (UTF-8 when it cannot)."""
    try:
        return text.encode(charset or "utf-8")
    except (LookupError, UnicodeError, TypeError):
        return text.encode()


def body_values(kind, charset):
    """The (name, value) byte pairs of a body of this kind."""
    if kind == "form":
        return [(name.encode(), _encoded(HONEST, charset)) for name in FIELDS]
    if kind == "invalid-utf8":
        return [(b"username", b"\xff\xfe\xc3\x28"), (b"\xc0\xaf", b"\xe5\xbc")]
    if kind == "surrogates":  # a lone surrogate, in each way a charset can carry one
        return [
            (b"username", b"\xed\xa0\x80"),  # UTF-8's encoding of U+D800, invalid UTF-8
            (b"password", b"%ED%A0%80"),
            (b"comment", b"+2AA-"),  # utf-7
            (b"title", b"\\ud800"),  # unicode_escape
            (b"\xed\xb0\x80", b"%F0%9F%98%80"),
        ]
    if kind == "nul":
        return [(b"username", b"a\x00b"), (b"password", b"%00"), (b"a\x00", b"1")]
    if kind == "percent-errors":
        return [(b"username", b"%"), (b"password", b"%zz"), (b"comment", b"%e5%bc"), (b"%", b"%%")]
    if kind == "too-many-fields":
        return [(f"f{i}".encode(), b"1") for i in range(TOO_MANY)]
    if kind == "binary":
        return [(b"username", random.Random(18).randbytes(256))]  # noqa: S311 (no secret)
    if kind == "empty":
        return []
    return [(b"username", b"x" * 10)]  # "truncated", "too-many-files": the shape differs


def urlencoded(pairs):
    return b"&".join(name + b"=" + value for name, value in pairs)


def multipart(pairs, *, files=0):
    parts = [
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (BOUNDARY.encode(), name.replace(b'"', b""), value)
        for name, value in pairs
    ]
    parts += [
        b'--%s\r\nContent-Disposition: form-data; name="upload"; filename="%d.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x89PNG\r\n" % (BOUNDARY.encode(), i)
        for i in range(files)
    ]
    return b"".join(parts) + b"--%s--\r\n" % BOUNDARY.encode()


BODIES = [
    "form",
    "invalid-utf8",
    "surrogates",
    "nul",
    "percent-errors",
    "too-many-fields",
    "truncated",
    "too-many-files",
    "binary",
    "empty",
]


def body(content_type, kind, charset):
    """The bytes sent: a multipart body for a multipart content type, else urlencoded pairs."""
    pairs = body_values(kind, charset)
    if content_type.startswith("multipart"):
        if kind == "too-many-files":
            return multipart(pairs, files=settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
        data = multipart(pairs)
        return data[: len(data) // 2] if kind == "truncated" else data
    if kind == "truncated":
        return b"username=%E5%BC"
    if kind in ("binary", "empty"):
        return b"".join(value for _, value in pairs)
    return urlencoded(pairs)


def header(content_type, charset):
    return content_type if charset is None else f"{content_type}; charset={charset}"


def matrix():
    """(content type, charset, body kind): every one where Django parses the body; two bodies
    per charset where it never reads it."""
    for name, content_type in CONTENT_TYPES.items():
        for charset in CHARSETS:
            kinds = BODIES if name.startswith(PARSED) else ["form", "binary"]
            for kind in kinds:
                yield header(content_type, charset), kind, body(content_type, kind, charset)


MATRIX = list(matrix())

# The smaller matrix for every route: each way a body can be unreadable, and three readable
# but odd ones that reach the view (an unknown charset, percent errors, a body never read).
SAMPLE = [
    (CONTENT_TYPES[name], charset, kind)
    for name, charset, kind in [
        ("urlencoded", "utf-16", "form"),  # the report
        ("urlencoded", None, "too-many-fields"),
        ("urlencoded", None, "percent-errors"),
        ("multipart", "nonsense", "form"),
        ("multipart", None, "truncated"),
        ("multipart", "utf-7", "surrogates"),
        ("multipart", "base64", "form"),
        ("multipart-bad-boundary", None, "form"),
        ("text", "utf-16", "form"),
        ("garbage", None, "binary"),
    ]
]
SAMPLE = [
    (header(content_type, charset), kind, body(content_type, kind, charset))
    for content_type, charset, kind in SAMPLE
]


# --- the visitors and the URLs --------------------------------------------------------------------


@pytest.fixture
def objects(reviewer):
    """One of each thing a route names, for real ids in its path."""
    issue = IssueFactory(visible=True, year=2025, number=4, created_by=reviewer)
    article = ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, created_by=reviewer)
    draft = ArticleFactory(issue=IssueFactory(year=2025, number=5), created_by=reviewer)
    reader = SubscriberFactory(user__username="fuzz-reader")
    Feedback.objects.create(author=reader.user, message="意见", issue=issue, article=article)
    return {"issue": issue, "article": article, "draft": draft, "reader": reader}


def route_arguments(objects):
    """A value for each route argument: real ids where the argument names a thing."""
    issue, draft = objects["issue"], objects["draft"]
    return {
        "year": issue.year,
        "number": issue.number,
        "issue_id": issue.pk,
        "slug": Industry.objects.first().slug,
        "name": "submit",
        "arg0": draft.pk,
        "arg1": draft.history.first().history_id,
        "content_type_id": ContentType.objects.get_for_model(Article).pk,
        "app_label": "articles",
        "url": "no-such-page/",
        "uidb64": "MQ",
        "token": unsubscribe.make_token(objects["reader"], used=0),
        "path": "uploads/none.png",
    }


def admin_object(template):
    """The first object of the admin whose pages `template` is under, or 1."""
    for model in admin.site._registry:
        if template.startswith(f"/admin/{model._meta.app_label}/{model._meta.model_name}/"):
            first = model._default_manager.order_by("pk").first()
            return first.pk if first else 1
    return 1


def every_path(objects):
    """Every route of the resolver as a concrete path."""
    arguments = route_arguments(objects)
    paths = []
    for _name, template, names in routes():
        values = {name: arguments.get(name, 1) for name in names}
        if "object_id" in values or "id" in values or "pk" in values:
            pk = admin_object(template)
            if template.startswith(("/articles/", "/proofs/")):
                pk = objects["article" if template.startswith("/articles/") else "issue"].pk
            values.update({key: pk for key in ("object_id", "id", "pk") if key in values})
        if template.startswith("/admin/articles/article/") and "object_id" in values:
            values["object_id"] = objects["draft"].pk  # the workflow's steps start from a draft
        paths.append(fill(template, values))
    return sorted(set(paths))


def visitor(name, *, reviewer):
    """A client for the visitor, CSRF enforced, with 500s answered rather than raised."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    user = {
        "anonymous": None,
        "subscriber": lambda: SubscriberFactory(kind=Subscriber.Kind.ENTERPRISE).user,
        "reviewer": lambda: reviewer,
    }[name]
    client.user = user() if user else None
    if client.user:
        client.force_login(client.user)
    return client


# --- asking, and the log ------------------------------------------------------------------------


@pytest.fixture
def request_log(json_lines):
    """The request log's lines, as the project's JSON formatter writes them (conftest)."""
    return json_lines


class Fuzz:
    """Post bodies and collect what went wrong."""

    def __init__(self, log):
        self.log = log
        self.failures = []
        self.asked = 0

    def post(self, client, path, content_type, data, *, secure=True, **extra):
        self.asked += 1
        label = f"POST {path[:80]} [{content_type[:60]}] {data[:40]!r}"
        client.cookies["csrftoken"] = SECRET  # a signing-in view rotates it
        before = len(self.log)
        try:
            with transaction.atomic():
                response = client.generic(
                    "POST",
                    path,
                    data,
                    content_type=content_type,
                    secure=secure,
                    HTTP_REFERER="https://testserver/",
                    HTTP_X_CSRFTOKEN=SECRET,
                    # The client leaves the header out when the body is empty.
                    CONTENT_TYPE=content_type,
                    **extra,
                )
                transaction.set_rollback(True)
        except Exception as error:  # it left Django: what the WSGI server would print
            self.failures.append(f"{label} → escaped: {error!r:.200}")
            return None
        finally:
            session = client.cookies.get("sessionid")
            if client.user and (session is None or not session.value):
                client.force_login(client.user)  # the logout URLs sign out
        self.check(label, response, self.log[before:])
        return response

    def check(self, label, response, lines):
        if response.status_code >= 500:
            error = getattr(response, "exc_info", None)
            self.failures.append(
                f"{label} → {response.status_code} " + (f"{error[1]!r:.200}" if error else "")
            )
        # A 400 page is the Chinese one; an API's 400 (the editor's upload answers JSON, as
        # CKEditor expects) is its own, but never Django's English page.
        page = response.content.decode(errors="replace")
        html = response.get("Content-Type", "").startswith("text/html")
        if response.status_code == 400 and (
            (html and 'lang="zh-Hans"' not in page) or "Bad Request (400)" in page
        ):
            self.failures.append(f"{label} → 400 without the Chinese page: {page[:80]!r}")
        ours = [line for line in lines if line["logger"] == "bulletin.requests"]
        if len(ours) != 1 or ours[0]["request_id"] != response.get("X-Request-ID"):
            self.failures.append(f"{label} → {len(ours)} request log lines")
        # A 500 logged by Django, or one that escaped its error pages (config.logs.unanswered);
        # django.security's errors are Django's way of logging a refused request.
        errors = [line for line in lines if line["level"] == "ERROR"]
        if any(line["logger"] == "django.request" for line in errors):
            self.failures.append(f"{label} → an error logged: {errors[0]['message'][:120]}")

    def assert_none_failed(self):
        assert not self.failures, f"{len(self.failures)} of {self.asked} failed:\n" + "\n".join(
            self.failures[:40]
        )


# --- the tests --------------------------------------------------------------------------------


def test_the_matrix_is_large_enough():
    assert len(MATRIX) >= 200
    assert len({content_type for content_type, _, _ in MATRIX}) == len(CONTENT_TYPES) * len(
        CHARSETS
    )


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("anonymous", "/accounts/login/"),
        ("subscriber", "/feedback/"),
        ("reviewer", "/admin/articles/article/add/"),
        ("reviewer", "/editor/images/"),
    ],
)
def test_the_full_matrix_on_representative_urls(who, path, reviewer, objects, request_log):
    client = visitor(who, reviewer=reviewer)
    fuzz = Fuzz(request_log)
    for content_type, _kind, data in MATRIX:
        fuzz.post(client, path, content_type, data)
    fuzz.assert_none_failed()


@pytest.mark.parametrize("who", ["anonymous", "subscriber", "reviewer"])
def test_a_sample_on_every_url(who, reviewer, objects, request_log):
    client = visitor(who, reviewer=reviewer)
    fuzz = Fuzz(request_log)
    paths = every_path(objects)
    assert len(paths) > 100  # the resolver was walked
    for path in paths:
        for content_type, _kind, data in SAMPLE:
            fuzz.post(client, path, content_type, data)
    fuzz.assert_none_failed()


def test_the_reported_request_gets_the_chinese_400_page(request_log):
    """Issue 18, finding 2, as reported: not signed in, a csrftoken cookie and a Referer."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies["csrftoken"] = SECRET
    response = client.generic(
        "POST",
        "/accounts/login/",
        "username=张三&password=x".encode("utf-16"),
        content_type="application/x-www-form-urlencoded; charset=utf-16",
        secure=True,
        HTTP_REFERER="https://testserver/accounts/login/",
    )
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()
    [line] = [entry for entry in request_log if entry["logger"] == "bulletin.requests"]
    assert line["request_id"] == response["X-Request-ID"]
    assert (line["method"], line["path"], line["status"]) == ("POST", "/accounts/login/", 400)
    [warning] = [entry for entry in request_log if entry["level"] == "WARNING"]  # logged once
    assert warning["message"].startswith("Unreadable form: /accounts/login/ (BadRequest")
    assert warning["request_id"] == line["request_id"]


def test_every_line_of_a_request_carries_its_id(client, request_log):
    """Django logs a 4xx it had not logged after the middleware returned: with the id too."""
    response = client.post("/mail/unsubscribe/forged/", HTTP_X_REQUEST_ID="req-19")
    assert response.status_code == 400  # the view's own answer, logged by Django afterwards
    assert [entry["request_id"] for entry in request_log[-2:]] == ["req-19", "req-19"]


@pytest.mark.parametrize(
    ("case", "extra"),
    [
        # Refused before the form is read (NUL in a header), then answered by the 400 page.
        ("nul-header", {"HTTP_USER_AGENT": "x\x00"}),
        # Refused by the host check, over HTTP: Django's CSRF check, finding no Referer to
        # compare, would go on to read the token from the form.
        ("disallowed-host", {"HTTP_HOST": "evil.example.com", "secure": False}),
    ],
)
def test_the_error_pages_never_read_the_body(case, extra, request_log):
    """A request refused before its form is read: the 400 page must not read it either."""
    fuzz = Fuzz(request_log)
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.user = None
    response = fuzz.post(
        client,
        "/accounts/login/",
        "application/x-www-form-urlencoded; charset=utf-16",
        "username=张三".encode("utf-16"),
        **extra,
    )
    fuzz.assert_none_failed()
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()


class BrokenStream(BytesIO):
    def read(self, *args):
        raise OSError("connection reset by peer")


@pytest.mark.parametrize(
    ("case", "content_type", "extra"),
    [
        (
            "content-length-not-a-number",
            "application/x-www-form-urlencoded",
            {"CONTENT_LENGTH": "x"},
        ),
        ("sender-went-away", "application/x-www-form-urlencoded", {"wsgi.input": BrokenStream()}),
        (
            "sender-went-away",
            f"multipart/form-data; boundary={BOUNDARY}",
            {"wsgi.input": BrokenStream()},
        ),
    ],
)
def test_a_body_that_cannot_be_read_gets_the_400_page(case, content_type, extra, request_log):
    fuzz = Fuzz(request_log)
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.user = None
    response = fuzz.post(client, "/accounts/login/", content_type, b"username=a", **extra)
    fuzz.assert_none_failed()
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()


# --- Content-Type headers Django fails to build a request from ----------------------------------

UNBUILDABLE = [
    ("text/plain; charset*=nonsense''x", ""),  # RFC 2231, unknown charset: ValueError
    ("multipart/form-data; boundary*=nonsense''x", ""),
    ("text/plain; charset=base64", "q=1"),  # decoding the query: LookupError
    ("text/plain; charset=idna", "q=%FF"),  # UnicodeError
    ("application/x-www-form-urlencoded; charset=punycode", "q=%FF"),  # TooManyFieldsSent
    ("text/plain; charset=utf-8", "&".join(["a=1"] * TOO_MANY)),  # TooManyFieldsSent
]


def wsgi_call(application, method, path, content_type, query, data=b""):
    """Ask `application` as a WSGI server would: (status, headers, body)."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": BytesIO(data),
        "wsgi.errors": BytesIO(),
        "wsgi.url_scheme": "https",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    content = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], content.decode()


@pytest.mark.parametrize(("content_type", "query"), UNBUILDABLE)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_content_type_django_cannot_build_a_request_from(
    method, content_type, query, request_log
):
    """Through a WSGIHandler, as gunicorn calls it: the test client builds its requests
    itself, and would fail at the same place without asking the application."""
    application = readable_content_type(WSGIHandler())
    status, headers, page = wsgi_call(application, method, "/accounts/login/", content_type, query)
    assert status == 400
    assert "请求无法处理" in page
    [line] = [entry for entry in request_log if entry["logger"] == "bulletin.requests"]
    assert line["request_id"] == headers["X-Request-ID"]


def test_the_deployed_application_is_guarded(request_log):
    from config.wsgi import application

    status, _, _ = wsgi_call(application, "GET", "/ping", "text/plain; charset=base64", "q=1")
    assert status == 400


@pytest.mark.parametrize(
    "path", ["/search/?q=%2B2AA-", "/search/?q=+2AA-", "/feedback/?article=%2B2AA-"]
)
def test_a_lone_surrogate_in_the_query_is_refused(client_for, enterprise, path):
    """A GET declaring charset=utf-7 decodes its query with it: "+2AA-" is U+D800 alone."""
    client = client_for(enterprise)
    client.raise_request_exception = False
    response = client.get(path, CONTENT_TYPE="text/plain; charset=utf-7")
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()
