"""Every admin page each staff role can reach is in Chinese.

The test signs in as 编辑, 审核, 订户管理 and a superuser, and walks the back office as they
would: from the index, every link inside the admin (every registered model's list, add page,
change pages, history, delete confirmation; the libraries' pages: import and export,
simple-history's versions, the login locks, django-otp's devices; the Word import; the
workflow's compare and preview pages), the confirmation page of each workflow step a change
form offers, the bulk delete's confirmation, each add form posted empty (its error messages),
and the subscriber import in each of its states (preview, errors, a refused confirmation).

On each page it reads what a person reads or a screen reader says: the text outside
<script>/<style>, and the value, placeholder, title, aria-label and alt a button, field or
image carries. What subscribers and staff typed (names, titles, usernames, e-mail addresses:
every text stored in the database) is taken out first. Any Latin word left must be one of the
proper names in PROPER_NAMES; anything else is English the interface forgot to translate.
"""

import io
import re
from collections import defaultdict
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from lxml import html
from openpyxl import Workbook

from apps.accounts.models import LoginLockout
from apps.articles.models import Article
from apps.feedback.models import Feedback
from apps.subscribers.models import Subscriber
from apps.subscribers.resources import COLUMNS
from apps.workflow import steps
from tests.factories import ArticleFactory, IssueFactory, StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

ROLES = ["editor", "reviewer", "subadmin", "superuser"]

# Latin words a Chinese page may carry: names of products, formats and standards.
PROPER_NAMES = {
    "Excel",
    "Word",
    "PDF",
    "CSV",
    "csv",
    "xlsx",
    "docx",
    "UTF",
    "CKEditor",
    "TOTP",
    "ID",
    "URL",
    "IP",
    "HTML",
    "LDAP",
    "MB",
    "doc",
    "Unix",
    # Formats a news site's feed comes in, and the selector language of a list page's links.
    "RSS",
    "Atom",
    "JSON",
    "Feed",
    "CSS",
    # A group robot's address, as WeCom's, DingTalk's and Feishu's own settings pages name it.
    "Webhook",
    # Keys and authenticator apps, as Django's and the login page's help names them.
    "Control",
    "Command",
    "Mac",
    "Google",
    "Microsoft",
    "Authenticator",
}

# The pages a crawl visits at most per URL name (e.g. three articles' change pages).
PER_URL_NAME = 3
SKIPPED_URL_NAMES = {"logout", "jsi18n", "autocomplete", "view_on_site"}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
# The reader pages' buttons that make the text larger or smaller ("A+", "A−").
FONT_SIZE = re.compile(r"\bA[+−-]")
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
BUTTON_TYPES = {"submit", "button", "reset"}


# --- what a page says ---


# Tables whose text nobody typed: Django's and the libraries' names for things.
GENERATED = {"auth.permission", "contenttypes.contenttype", "sessions.session", "admin.logentry"}


def user_content(*extra):
    """Every text stored in the database (what people typed), as one pattern that finds each
    as a whole (a name "a" must not cut "False" in two)."""
    texts = set(extra)
    for model in apps.get_models():
        if model._meta.label_lower in GENERATED:
            continue
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(
                field,
                models.CharField | models.TextField | models.GenericIPAddressField,
            )
            and not field.choices
        ]
        if fields:
            for values in model._default_manager.values_list(*fields):
                texts.update(value for value in values if isinstance(value, str) and value)
    alternatives = "|".join(re.escape(text) for text in sorted(texts, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{alternatives})(?![A-Za-z])")


def read_aloud(document):
    """The texts of a page a person reads or a screen reader says."""
    # A text area's text is what someone typed (an article's body, as HTML). What is never
    # shown nor read aloud (the admin's rows of hidden fields) is not read either.
    unseen = (
        # <bdi> holds a value (the password's hash, as Django's account page shows it).
        "//script|//style|//noscript|//template|//textarea|//bdi|//*[@hidden]"
        '|//*[@aria-hidden="true"]|//*[contains(concat(" ", @class, " "), " hidden ")]'
    )
    for element in document.xpath(unseen):
        element.drop_tree()
    texts = list(document.xpath("//text()"))
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        texts.extend(element.get(name) or "" for name in READ_ATTRIBUTES)
        # An <input> button shows its value; a <button>'s value is only sent, never shown.
        if element.tag == "input" and element.get("type") in BUTTON_TYPES:
            texts.append(element.get("value") or "")
    return texts


def english(content, typed):
    """The Latin words on a page that are neither proper names nor what people typed."""
    found = set()
    for text in read_aloud(html.fromstring(content.decode())):
        text = FONT_SIZE.sub(" ", typed.sub(" ", text))
        found.update(word for word in LATIN_WORD.findall(text) if word not in PROPER_NAMES)
    return found


# --- the walk ---


def url_name(url):
    try:
        return resolve(url.split("?")[0]).url_name or url
    except Resolver404:
        return None


class Walk:
    """One role's walk through the back office, collecting each page's English."""

    def __init__(self, client):
        self.client = client
        self.typed = user_content()
        self.seen_paths = set()
        self.per_name = defaultdict(int)
        self.findings = {}  # (url name, how, url) -> words
        self.pages = 0

    def check(self, name, how, url, response, *, statuses=(200,)):
        if response.status_code not in statuses or "html" not in response.get("Content-Type", ""):
            return None
        self.pages += 1
        words = english(response.content, self.typed)
        if words:
            self.findings[(name, how, url)] = sorted(words)
        return html.fromstring(response.content)

    def crawl(self, *start):
        queue = list(start)
        while queue:
            url = queue.pop(0)
            path = url.split("#")[0].split("?")[0]
            name = url_name(path)
            if (
                path in self.seen_paths
                or name is None
                or name in SKIPPED_URL_NAMES
                or self.per_name[name] >= PER_URL_NAME
            ):
                continue
            self.seen_paths.add(path)
            self.per_name[name] += 1
            response = self.client.get(url)
            document = self.check(name, "GET", url, response)
            if document is None:
                continue
            for href in document.xpath("//a/@href"):
                if href.startswith("/admin/") and "_popup" not in href and "_to_field" not in href:
                    queue.append(href)
            self.step_confirmations(url, document)
            self.bulk_delete(name, url, document)
            if name.endswith("_add"):
                self.post_empty(name, url, document)

    def step_confirmations(self, url, document):
        """Each workflow step the page offers that asks first: its confirmation page."""
        for form in document.xpath("//form[@action]"):
            action = form.get("action")
            try:
                match = resolve(action)
            except Resolver404:
                continue
            if not match.url_name or not match.url_name.endswith("_transition"):
                continue
            app_label, model_name = match.url_name.split("_")[:2]
            model = apps.get_model(app_label, model_name)
            transition = steps.get_transition(model, match.kwargs["name"])
            if not transition.needs_confirmation:
                continue  # taking it here would change what the rest of the walk sees
            later = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
            data = {"at": later, "comment": "核对"}
            response = self.client.post(action, data)
            self.check(match.url_name, "POST (confirmation)", action, response)

    def bulk_delete(self, name, url, document):
        """The changelist's delete action: its confirmation page (nothing is deleted)."""
        if not name.endswith("_changelist"):
            return
        if not document.xpath('//select[@name="action"]/option[@value="delete_selected"]'):
            return
        selected = document.xpath('//input[@name="_selected_action"]/@value')
        if not selected:
            return
        data = {"action": "delete_selected", "_selected_action": selected[:1], "index": "0"}
        response = self.client.post(url.split("?")[0], data)
        self.check(name, "POST (bulk delete)", url, response)

    def post_empty(self, name, url, document):
        """An add form sent empty: the page with its error messages (nothing is saved)."""
        # The form's hidden fields (the inlines' management forms) go along, as a browser's.
        hidden = document.xpath('//form[@id]//input[@type="hidden"][@name]')
        data = {field.get("name"): field.get("value") or "" for field in hidden}
        response = self.client.post(url, data)
        self.check(name, "POST (empty)", url, response)


# --- the subscriber import in each state ---


def workbook(*rows, headers=None):
    book = Workbook()
    book.active.append(list(headers or COLUMNS.values()))
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_states(walk):
    """The import's preview, its errors and a refused confirmation, as 订户管理 sees them."""
    import_url = reverse("admin:subscribers_subscriber_import")
    process_url = reverse("admin:subscribers_subscriber_process_import")
    name = "subscribers_subscriber_import"

    def upload(content, fmt="0", filename="订户.xlsx"):
        data = {
            "import_file": SimpleUploadedFile(filename, content),
            "format": fmt,
            "resource": "0",
        }
        return walk.client.post(import_url, data)

    existing = Subscriber.objects.select_related("user").first()
    changed = [
        existing.user.username,
        "新名字",
        "13900000009",
        "new.mail@example.com",
        "企业",
        "新单位",
        "（清空）",
        "魏都区",
        "",
        "",
        "2025-01-01",
        timezone.localdate().isoformat(),
        "否",
        "",
    ]
    new = ["new.reader", "王经理", "", "", "企业", "某公司", "", "魏都区", "", "", "", "2099-12-31"]
    bad_rows = ["bad", "", "123", "x", "市民", "", "", "许昌县", "", "人工智能", "", "明年", "也许"]
    # What the files say is typed too (the preview and the errors repeat it).
    walk.typed = user_content(*(str(cell) for cell in [*changed, *new, *bad_rows] if cell))
    preview = upload(workbook(changed, new))
    walk.check(name, "POST (preview)", import_url, preview)
    walk.check(name, "POST (invalid rows)", import_url, upload(workbook(bad_rows)))
    walk.check(name, "POST (bad file)", import_url, upload(b"not a workbook"))
    walk.check(name, "POST (empty sheet)", import_url, upload(workbook()))
    walk.check(
        name, "POST (missing columns)", import_url, upload(workbook(["某人"], headers=["姓名"]))
    )
    walk.check(name, "POST (no file)", import_url, walk.client.post(import_url, {"format": "0"}))
    walk.check(
        name, "POST (csv)", import_url, upload(b"\xff\xfe\x00bad", fmt="1", filename="x.csv")
    )
    form = preview.context["confirm_form"]
    refused = walk.client.post(process_url, {**form.initial, "resource": "0"})
    walk.check(name, "POST (refused confirmation)", process_url, refused)
    done = walk.client.post(
        process_url,
        {
            **form.initial,
            "resource": "0",
            "confirm_identity_changes": "on",
            "confirm_risky_changes": "on",
        },
        follow=True,
    )
    walk.check(name, "POST (imported)", process_url, done)
    forged = walk.client.post(process_url, {"import_file_name": "x", "format": "0"})
    walk.check(name, "POST (forged confirmation)", process_url, forged)
    export_url = reverse("admin:subscribers_subscriber_export")
    nothing = walk.client.post(export_url, {"format": "0", "resource": "0"})
    walk.check("subscribers_subscriber_export", "POST (no column)", export_url, nothing)


# --- the test ---


@pytest.fixture
def back_office(editor, other_editor, reviewer):
    """Something on every page: issues and articles in each state (with versions and step
    logs), subscribers, feedback, readers' login locks, an authenticator."""
    published = IssueFactory(created_by=reviewer, year=2025, number=1, title="已发布的一期")
    ArticleFactory(issue=published, created_by=reviewer, status=Article.Status.APPROVED)
    steps.submit_issue(published, by=reviewer)
    steps.publish_issue(published, by=reviewer)
    in_review = IssueFactory(created_by=editor, year=2025, number=2, title="待审的一期")
    ArticleFactory(issue=in_review, created_by=editor, status=Article.Status.APPROVED)
    steps.submit_issue(in_review, by=editor)
    own = IssueFactory(created_by=editor, year=2025, number=3, title="我的一期")
    draft = ArticleFactory(issue=own, created_by=editor, title="我的草稿")
    draft.title = "我的草稿（改）"
    draft.save()  # a second version, to compare
    steps.submit_article(ArticleFactory(issue=own, created_by=editor), by=editor)
    others = IssueFactory(created_by=other_editor, year=2025, number=4, title="别人的一期")
    ArticleFactory(issue=others, created_by=other_editor)
    reader = SubscriberFactory(user__username="reader1", position="处长")
    SubscriberFactory(user__username="firm1", kind=Subscriber.Kind.LEADERSHIP)
    Feedback.objects.create(author=reader.user, message="意见", reply="答复")
    LoginLockout.objects.create(
        username="reader1", ip_address="10.0.0.1", failures_since_start=10, user_agent="浏览器"
    )
    TOTPDevice.objects.create(user=StaffFactory(username="staff.totp"), name="手机")


def role_user(role, request):
    if role == "superuser":
        return StaffFactory(username="root", is_superuser=True)
    return request.getfixturevalue(role)


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_page_a_role_reaches_is_in_chinese(client, role, back_office, request):
    user = role_user(role, request)
    client.force_login(user)
    walk = Walk(client)
    walk.crawl(
        reverse("admin:index"),
        reverse("issue_import_word"),
        reverse("admin:password_change"),
        reverse("admin:password_change_done"),
    )
    if user.has_perm("subscribers.import_subscriber"):
        import_states(walk)
    # The admin's refusals: a page this role may not open, and one that does not exist.
    client.raise_request_exception = False
    for how, url in [("403", reverse("admin:auth_group_changelist")), ("404", "/admin/no/such/")]:
        walk.check(how, "GET", url, client.get(url), statuses=(200, 403, 404))
    assert walk.pages > 20
    report = "\n".join(
        f"{name} {how} {url}: {' '.join(words)}"
        for (name, how, url), words in sorted(walk.findings.items())
    )
    assert not walk.findings, f"{role}: English on {len(walk.findings)} pages\n{report}"


def test_the_login_pages_are_in_chinese(client, settings, staff):
    typed = user_content()
    login = reverse("admin:login")
    assert not english(client.get(login).content, typed)
    refused = client.post(login, {"username": "staff1", "password": "wrong"})
    assert not english(refused.content, typed)
    settings.OTP_REQUIRED = True
    assert not english(client.get(login).content, typed)
    client.force_login(staff)
    logged_out = client.post(reverse("admin:logout"), follow=True)
    assert not english(logged_out.content, typed)
