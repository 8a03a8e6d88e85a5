import pytest

from tests.wordimport.documents import build


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Stored images and kept uploads go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def sample_docx():
    """The sample issue as the institute types it: ● sections, bold titles."""
    return build()
