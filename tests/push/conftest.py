import pytest

from tests.push.vendor_server import VendorServer


@pytest.fixture
def vendors(settings):
    """The three vendors' robots on a loopback server of the suite's own, reachable as
    PUSH_EXTRA_HOSTS lists it (a relay would be)."""
    with VendorServer() as server:
        settings.PUSH_EXTRA_HOSTS = server.host
        yield server
