"""The audit fields of issues and articles are declared once, in EditTracked."""

import io

import pytest
from django.core.management import call_command

from apps.articles.models import Article
from apps.core.models import EditTracked
from apps.issues.models import Issue
from tests.factories import ArticleFactory, StaffFactory

AUDIT = {
    "version": "版本",
    "created_by": "创建人",
    "created_at": "创建时间",
    "updated_by": "最后修改人",
    "updated_at": "更新时间",
}


@pytest.mark.parametrize("model", [Issue, Article])
def test_issues_and_articles_take_their_audit_fields_from_edit_tracked(model):
    for name, verbose_name in AUDIT.items():
        shared = EditTracked._meta.get_field(name)
        field = model._meta.get_field(name)
        assert field.verbose_name == verbose_name
        # The same declaration, copied into the model (not one of its own).
        assert field.creation_counter == shared.creation_counter, (model, name)
        assert field.deconstruct()[1:] == shared.deconstruct()[1:]


@pytest.mark.django_db
def test_moving_them_needs_no_migration_and_keeps_the_rows():
    # The models' state is what the migrations already made: no schema change, no data touched.
    apps = ("core", "issues", "articles", "search")
    call_command("makemigrations", *apps, "--check", "--dry-run", stdout=io.StringIO())
    author = StaffFactory()
    article = ArticleFactory(created_by=author, updated_by=author)
    article.refresh_from_db()
    assert (article.created_by, article.updated_by, article.version) == (author, author, 1)
    assert article.created_at is not None and article.updated_at >= article.created_at
