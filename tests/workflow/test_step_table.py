"""The steps are typed, and each names the office mail it sends (no step-name strings)."""

import inspect
import typing

import pytest
from django.core import mail
from django.urls import reverse

from apps.accounts.models import User
from apps.articles.models import Article
from apps.notifications import office
from apps.workflow import steps
from tests.factories import ArticleFactory, IssueFactory
from tests.notifications.helpers import MAIL_TEST

PUBLIC_STEPS = [
    steps.submit_article,
    steps.approve_article,
    steps.send_back_article,
    steps.reopen_article,
    steps.submit_issue,
    steps.send_back_issue,
    steps.publish_issue,
    steps.schedule_issue,
    steps.reschedule_issue,
    steps.unschedule_issue,
    steps.withdraw_issue,
    steps.reopen_issue,
    steps.perform,
    steps.check,
    steps.take_each,
    steps.articles_submitted_with,
]


@pytest.mark.parametrize("function", PUBLIC_STEPS, ids=lambda f: f.__name__)
def test_public_steps_are_typed_with_a_keyword_only_user(function):
    signature = inspect.signature(function)
    hints = typing.get_type_hints(function)
    assert "return" in hints, function.__name__
    by = signature.parameters["by"]
    assert by.kind is inspect.Parameter.KEYWORD_ONLY
    assert hints["by"] is User
    for name, parameter in signature.parameters.items():
        assert name in hints, f"{function.__name__}({name})"
        if parameter.default is not inspect.Parameter.empty:
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY


def test_each_step_names_its_mail():
    mails = {
        transition: transition.mail for table in steps.TRANSITIONS.values() for transition in table
    }
    assert mails[steps.ARTICLE_SUBMIT] is office.submitted
    assert mails[steps.ISSUE_SUBMIT] is office.submitted
    assert mails[steps.ARTICLE_SEND_BACK] is office.returned
    assert mails[steps.ISSUE_SEND_BACK] is office.returned
    assert mails[steps.ARTICLE_APPROVE] is office.approved
    assert mails[steps.ISSUE_PUBLISH] is office.published
    assert mails[steps.ISSUE_SCHEDULE] is office.published
    silent = {steps.ARTICLE_REOPEN, steps.ISSUE_RESCHEDULE, steps.ISSUE_UNSCHEDULE}
    silent |= {steps.ISSUE_WITHDRAW, steps.ISSUE_REOPEN}
    assert all(mails[transition] is None for transition in silent)
    assert not hasattr(office, "transition_mail")  # chosen by the table, not by name


# Mail goes out through the worker after the commit, as in production.
@pytest.mark.django_db(**MAIL_TEST)
def test_the_issues_submit_sends_the_reviewers_one_mail_not_one_per_article(
    client, editor, reviewer, worker
):
    issue = IssueFactory(created_by=editor)
    for position in (1, 2, 3):
        ArticleFactory(issue=issue, created_by=editor, position=position)
    client.force_login(editor)
    client.post(reverse("admin:issues_issue_transition", args=[issue.pk, "submit"]))
    worker()
    assert Article.objects.filter(status=Article.Status.REVIEW).count() == 3
    [request] = mail.outbox
    assert request.to == [reviewer.email]
    assert str(issue) in request.subject and "提交审核" in request.subject
