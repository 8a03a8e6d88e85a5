"""Who does what in the back office: reviewers, and authors of their own drafts."""

from django.db import models

from apps.accounts.access import acts_as_staff
from apps.issues.models import Issue


def _staff_may(user, action, model) -> bool:
    opts = model._meta
    return acts_as_staff(user) and user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")


def is_reviewer(user, model) -> bool:
    """Return whether `user` reviews `model` (approves, returns, publishes, edits anything)."""
    return _staff_may(user, "review", model)


def is_signer(user) -> bool:
    """Return whether `user` holds the 签发 role (a superuser may): signs issues and the
    corrections of leadership-only articles, and reads everything it signs."""
    return acts_as_staff(user) and user.has_perm("workflow.sign_issue")


def may_change_model(user, model) -> bool:
    return _staff_may(user, "change", model)


def is_author(user, obj) -> bool:
    """Return whether `user` created `obj` and may still change objects of its kind."""
    return may_change_model(user, type(obj)) and obj.created_by_id == user.pk


def may_edit(user, obj) -> bool:
    """Return whether `user` may change `obj`'s content: reviewers always, authors their drafts."""
    if not may_change_model(user, type(obj)):
        return False
    if is_reviewer(user, type(obj)):
        return True
    return obj.status == obj.Status.DRAFT and obj.created_by_id == user.pk


def visible_to_staff(user, rows):
    """Narrow `rows` (issues or articles) to what `user` sees in the back office.

    Reviewers and signers see everything. Editors see their own work and what is published;
    issues still being drafted are shared too, so that editors can place their articles in them.
    """
    model = rows.model
    if is_reviewer(user, model) or is_signer(user):
        return rows
    shared = {model.Status.PUBLISHED}
    if model is Issue:
        shared.add(Issue.Status.DRAFT)
    return rows.filter(models.Q(created_by=user) | models.Q(status__in=shared))
