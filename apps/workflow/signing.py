"""签发: which content needs the issuing leader's signature, and whether it has it now.

A sign-off (`SignOff`) records the fingerprint of the content it signed. It is valid while the
content's fingerprint today is the same: a later change to a signed article, an article moved
into the issue or made leadership-only, voids it by itself, with no writer having to remember
to void it. The steps (apps.workflow.steps: `sign_issue`, `refuse_sign_off`, and the
corrections') record sign-offs; publishing asks `issue_state` under its lock.
"""

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.workflow.models import CorrectionProposal, SignOff
from apps.workflow.roles import is_signer

LEADERSHIP, ALL, NONE = "leadership", "all", "none"
# What is signed of each article: what readers read, where it is, and who may read it.
SIGNED_FIELDS = (
    "pk",
    "title",
    "subtitle",
    "source",
    "author",
    "summary",
    "body",
    "visibility",
    "section_id",
)


def mode() -> str:
    return settings.SIGN_OFF_REQUIRED_FOR


def signed_articles(issue: Issue):
    """The articles whose content a sign-off of `issue` covers under the current setting."""
    return signed_rows(Article.objects.filter(issue=issue))


def signed_rows(articles):
    if mode() == LEADERSHIP:
        articles = articles.filter(visibility=Article.Visibility.LEADERSHIP)
    return articles.order_by("pk")


def issue_needs_sign_off(issue: Issue) -> bool:
    if mode() == NONE:
        return False
    if mode() == ALL:
        return True
    return signed_articles(issue).exists()


def correction_needs_sign_off(article: Article) -> bool:
    """A correction needs 签发 where the article's issue would: every article under "all",
    a leadership-only one under "leadership"."""
    return mode() == ALL or (mode() == LEADERSHIP and article.is_leadership_only)


def issue_fingerprint(issue: Issue) -> str:
    """The digest of what a sign-off of `issue` signs now."""
    return _issue_digest(issue, signed_articles(issue).values_list(*SIGNED_FIELDS))


def _issue_digest(issue, rows) -> str:
    content = {"issue": issue.pk, "articles": [list(row) for row in rows]}
    if mode() == ALL:
        content["title"] = issue.title
        content["editor_note"] = issue.editor_note
        content["cover"] = issue.cover.name if issue.cover else ""
    return _digest(content)


def correction_fingerprint(proposal) -> str:
    """The digest of a proposed correction (its new text and note, and the live version it
    replaces)."""
    return _digest(
        {
            "proposal": proposal.pk,
            "article": proposal.article_id,
            "base_version": proposal.base_version,
            "fields": [proposal.title, proposal.subtitle, proposal.summary, proposal.body],
            "note": proposal.note,
        }
    )


def _digest(content) -> str:
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class State:
    """Where an issue (or a proposed correction) stands with 签发, for a page or a check."""

    required: bool
    fingerprint: str
    latest: SignOff | None  # the newest decision, signed or refused

    @property
    def valid(self) -> SignOff | None:
        """The sign-off that covers the content as it is now, if any."""
        latest = self.latest
        signed = latest is not None and latest.decision == SignOff.Decision.SIGNED
        return latest if signed and latest.fingerprint == self.fingerprint else None

    @property
    def voided(self) -> bool:
        """Signed, but the content changed since."""
        latest = self.latest
        signed = latest is not None and latest.decision == SignOff.Decision.SIGNED
        return signed and latest.fingerprint != self.fingerprint

    @property
    def refused(self) -> SignOff | None:
        latest = self.latest
        refused = latest is not None and latest.decision == SignOff.Decision.REFUSED
        return latest if refused and latest.fingerprint == self.fingerprint else None

    @property
    def label(self) -> str:
        """The state in a few words, for the change form, the confirmation page and lists."""
        if self.valid:
            signer = self.valid.signer
            return f"已签发（{signer.get_full_name() or signer.username}，{_when(self.valid)}）"
        if self.voided:
            return "签发已失效：签发后内容有改动，须重新签发"
        if self.refused:
            return f"不予签发：{self.refused.reason}"
        return "待签发" if self.required else "无需签发"

    @property
    def missing(self) -> bool:
        """Required and not signed as it stands: publishing waits."""
        return self.required and self.valid is None


def _when(sign_off):
    return f"{timezone.localtime(sign_off.at):%Y-%m-%d %H:%M}"


def issue_state(issue: Issue) -> State:
    decisions = SignOff.objects.filter(issue=issue, correction__isnull=True)
    latest = decisions.select_related("signer").first()
    return State(issue_needs_sign_off(issue), issue_fingerprint(issue), latest)


def correction_state(proposal) -> State:
    latest = proposal.sign_offs.select_related("signer").first()
    return State(
        correction_needs_sign_off(proposal.article), correction_fingerprint(proposal), latest
    )


def waiting_for_signer(user, limit=30) -> dict:
    """What waits for `user`'s signature: issues in review whose content is not signed as it
    stands, and open corrections that need signing and are not signed. A fixed number of
    queries however many wait."""
    if not is_signer(user):
        return {}
    issues = list(Issue.objects.filter(status=Issue.Status.REVIEW).order_by("year", "number"))
    states = issue_states(issues)
    issues = [issue for issue in issues if states[issue.pk].missing]
    open_proposals = list(
        CorrectionProposal.objects.filter(status=CorrectionProposal.Status.OPEN)
        .select_related("article")
        .prefetch_related("sign_offs")
        .order_by("proposed_at")
    )
    corrections = [
        proposal
        for proposal in open_proposals
        if State(
            correction_needs_sign_off(proposal.article),
            correction_fingerprint(proposal),
            next(iter(proposal.sign_offs.all()), None),
        ).missing
    ]
    return {
        "issues": issues[:limit],
        "corrections": corrections[:limit],
        "count": len(issues) + len(corrections),
    }


def issue_states(issues) -> dict:
    """`issue_state` of each of `issues`, by id, in three queries."""
    ids = [issue.pk for issue in issues]
    rows = {pk: [] for pk in ids}
    for issue_id, *row in signed_rows(Article.objects.filter(issue__in=ids)).values_list(
        "issue_id", *SIGNED_FIELDS
    ):
        rows[issue_id].append(row)
    latest = {}
    for sign_off in SignOff.objects.filter(issue__in=ids, correction__isnull=True).order_by(
        "issue", "-at", "-pk"
    ):
        latest.setdefault(sign_off.issue_id, sign_off)
    needed = mode() == ALL
    return {
        issue.pk: State(
            needed or (mode() == LEADERSHIP and bool(rows[issue.pk])),
            _issue_digest(issue, rows[issue.pk]),
            latest.get(issue.pk),
        )
        for issue in issues
    }
