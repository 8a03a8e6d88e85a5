from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.articles.models import Article, Section
from apps.issues.models import Issue
from apps.subscribers.models import Subscriber

PASSWORD = "xuchang-test-pass"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)


class StaffFactory(UserFactory):
    is_staff = True


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    user = factory.SubFactory(UserFactory)
    kind = Subscriber.Kind.ENTERPRISE
    organization = "许昌某科技有限公司"
    region = Subscriber.Region.WEIDU
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=300))


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issue

    year = 2024
    number = factory.Sequence(lambda n: n % 99 + 1)
    editor_note = "<p>编者的话</p>"
    status = Issue.Status.DRAFT

    class Params:
        visible = factory.Trait(
            status=Issue.Status.PUBLISHED,
            published_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=1)),
        )


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    issue = factory.SubFactory(IssueFactory)
    section = factory.LazyFunction(lambda: Section.objects.order_by("order").first())
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"测试文章{n}")
    summary = "摘要"
    body = "<p>正文</p>"
    status = Article.Status.DRAFT
