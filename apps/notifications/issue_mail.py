"""The issue's e-mail: what one subscriber gets when an issue goes live.

The contents depend only on the reader's audience (leaders see leadership-only articles), so
they are loaded and rendered once per audience; each message adds the reader's own industries
and unsubscribe link. Titles, sources and summaries only, never a body; no remote images.

Every link to the site carries the reader's own `via` token (apps.core.via: e-mail, the issue,
the subscriber), so a reading can say the e-mail brought it. The shared contents are rendered
with a mark where the token goes, and each message replaces the mark with its reader's token:
one render per audience still, and one HMAC per message. The unsubscribe link has a token of
its own and no `via`.
"""

import secrets
from html import unescape

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator

from apps.accounts.access import audience
from apps.articles.models import Article
from apps.core import via
from apps.notifications import unsubscribe

NOTE_LEAD_CHARS = 160


def one_line(value) -> str:
    """A header value on one line: a line break in a title or a name cannot start a header."""
    return " ".join(str(value).split())


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def subject_of(issue) -> str:
    subject = f"《{settings.PUBLICATION_NAME}》{issue.year}年第{issue.number}期"
    if issue.total_number:
        subject += f"（总第{issue.total_number}期）"
    if issue.title:
        subject += f"：{issue.title}"
    return one_line(subject)


class IssueMail:
    """Builds the e-mail of one issue for each of its subscribers."""

    def __init__(self, issue):
        self.issue = issue
        self.subject = subject_of(issue)
        # Stands for the reader's token until each message is put together: random, so that no
        # title or summary typed by a person can contain it; letters and digits only, so that
        # it passes HTML escaping and URLs unchanged.
        self._mark = f"via{secrets.token_hex(12)}"
        self.issue_url = self._link(issue.get_absolute_url())
        # Plain text: tags gone and entities (CKEditor's &nbsp;) turned back into characters.
        note = " ".join(unescape(strip_tags(issue.editor_note)).split())
        self.note_lead = Truncator(note).chars(NOTE_LEAD_CHARS)
        self._contents = {}

    def message_for(self, subscriber, unsubscribes_used) -> EmailMultiAlternatives:
        """The message to `subscriber`, who has unsubscribed by link `unsubscribes_used` times
        (their link's token depends on it)."""
        user = subscriber.user
        articles, contents_text, contents_html = self._contents_for(user)
        followed = self._followed(subscriber, articles)
        unsubscribe_url = absolute(
            reverse(
                "notifications:unsubscribe",
                args=[unsubscribe.make_token(subscriber, used=unsubscribes_used)],
            )
        )
        context = {
            "issue": self.issue,
            "subject": self.subject,
            "name": user.get_full_name() or user.username,
            "followed": followed,
            "follows_any": bool(subscriber.industries.all()),
            "contents_text": contents_text,
            "contents_html": contents_html,
            "issue_url": self.issue_url,
            "profile_url": self._link(reverse("reader:profile")),
            "unsubscribe_url": unsubscribe_url,
            "publication_name": settings.PUBLICATION_NAME,
            "publication_publisher": settings.PUBLICATION_PUBLISHER,
        }
        token = via.make(via.Source.EMAIL, self.issue.pk, subscriber.pk)
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=render_to_string("notifications/email/issue.txt", context).replace(
                self._mark, token
            ),
            # Encoded as Django encodes addresses (an internationalised domain included); an
            # address no mail server could take raises here, and the sender records it.
            to=[sanitize_address((one_line(context["name"]), user.email), "utf-8")],
            headers={
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Message-ID": f"<issue-{self.issue.pk}.{subscriber.pk}@{_mail_domain()}>",
            },
        )
        message.attach_alternative(
            render_to_string("notifications/email/issue.html", context).replace(self._mark, token),
            "text/html",
        )
        return message

    def _contents_for(self, user):
        """The articles this reader may see, and the table of contents as text and HTML."""
        key = audience(user)
        if key not in self._contents:
            articles = list(
                Article.objects.filter(issue=self.issue)
                .visible_to(user)
                .for_contents()
                .prefetch_related("industries")
            )
            for article in articles:
                article.url = self._link(article.get_absolute_url())
            context = {
                "issue": self.issue,
                "articles": articles,
                "note_lead": self.note_lead,
                "issue_url": self.issue_url,
            }
            self._contents[key] = (
                articles,
                render_to_string("notifications/email/contents.txt", context),
                render_to_string("notifications/email/contents.html", context),
            )
        return self._contents[key]

    def _link(self, path: str) -> str:
        """The address of a page of the site, with the mark where the reader's token goes."""
        return via.link(absolute(path), self._mark)

    @staticmethod
    def _followed(subscriber, articles):
        """[(industry, its articles)] for each followed industry with an article here,
        in the order of the industry map."""
        groups = []
        for industry in subscriber.industries.all():
            matching = [a for a in articles if industry in a.industries.all()]
            if matching:
                groups.append((industry, matching))
        return groups


def _mail_domain() -> str:
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host or "localhost"
