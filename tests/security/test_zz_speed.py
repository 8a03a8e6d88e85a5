import cProfile, pstats, time
import pytest
from tests.factories import StaffFactory, ArticleFactory

pytestmark = pytest.mark.django_db


def test_speed(client, settings):
    client.force_login(StaffFactory(username="r", is_superuser=True))
    ArticleFactory()
    for _ in range(3):
        client.get("/admin/articles/article/?q=x")
    pr = cProfile.Profile()
    pr.enable()
    t = time.monotonic()
    for i in range(30):
        client.get("/admin/articles/article/?q=x")
    print("T", (time.monotonic() - t) / 30)
    pr.disable()
    pstats.Stats(pr).sort_stats("cumulative").print_stats(45)
