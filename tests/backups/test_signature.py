"""manage.py restore: only archives this installation signed, nothing unsafe, nothing half done.

Every refusal is checked against a site that changed after the backup, with --force, so a
restore that went ahead anyway would show: the later article would be gone, the media as before.
"""

import hashlib
import io
import json
import tarfile

import pytest
from django.core.management import CommandError, call_command

from apps.articles.models import Article
from apps.backups import signing
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

IMAGE = "media/editor/2023/12/chart.png"
BACKED_UP = b"\x89PNG\r\n\x1a\n" + b"x" * 200


@pytest.fixture
def image(settings, tmp_path, editor):
    """An article and an uploaded image, as they are when the backup is made."""
    settings.MEDIA_ROOT = tmp_path / "media"
    path = settings.MEDIA_ROOT / "editor" / "2023" / "12" / "chart.png"
    path.parent.mkdir(parents=True)
    path.write_bytes(BACKED_UP)
    ArticleFactory(issue=None, title="备份前的稿件", created_by=editor)
    return path


@pytest.fixture
def archive(image, tmp_path):
    return back_up(tmp_path / "backups")


@pytest.fixture
def later(archive, image, editor):
    return change(image, editor)


def change(image, editor):
    """Change the site after the backup, so a restore that went ahead would show."""
    ArticleFactory(issue=None, title="备份后的稿件", created_by=editor)
    image.write_bytes(b"changed after the backup")
    (image.parent / "new.png").write_bytes(b"uploaded after the backup")
    return state(image)


def back_up(folder):
    call_command("backup", "--dir", str(folder), stdout=io.StringIO())
    [archive] = folder.glob("bulletin-*.tar")
    return archive


def restore(archive, *flags):
    call_command("restore", str(archive), "--force", *flags, stdout=io.StringIO())


def state(image):
    """The articles' titles and every uploaded file, to compare before and after."""
    root = image.parents[3]
    media = {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }
    return sorted(Article.objects.values_list("title", flat=True)), media


def read(archive):
    with tarfile.open(archive) as tar:
        return {member.name: tar.extractfile(member).read() for member in tar.getmembers()}


def pack(target, members, *extra):
    """Write `members` (name: bytes) and `extra` (TarInfo, bytes or None) as a tar."""
    with tarfile.open(target, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info, data in extra:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return target


def forge(members, name, data):
    """Replace a file and write its new checksum into the manifest, as anyone could."""
    manifest = json.loads(members["manifest.json"])
    manifest["files"][name] = hashlib.sha256(data).hexdigest()
    return {**members, name: data, "manifest.json": json.dumps(manifest).encode()}


def test_a_signed_archive_restores(archive, image, later):
    members = read(archive)
    assert signing.is_valid(members["manifest.json"], members["manifest.sig"].decode())

    restore(archive)

    titles, media = state(image)
    assert "备份前的稿件" in titles and "备份后的稿件" not in titles
    assert media["editor/2023/12/chart.png"] == BACKED_UP


@pytest.mark.parametrize(
    ("signature", "message"),
    [("kept", "签名不符"), ("dropped", "没有签名")],
)
def test_a_rewritten_manifest_is_refused_and_nothing_changes(
    archive, image, later, tmp_path, signature, message
):
    members = forge(read(archive), IMAGE, b"\x89PNG planted by someone else")
    if signature == "dropped":
        del members["manifest.sig"]
    forged = pack(tmp_path / "forged.tar", members)

    with pytest.raises(CommandError, match=message) as refused:
        restore(forged)

    assert "--trust-unsigned" in str(refused.value)
    assert state(image) == later


def test_an_archive_from_another_installation_needs_trust_unsigned(
    settings, image, editor, tmp_path
):
    own_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another installation's secret key"
    archive = back_up(tmp_path / "elsewhere")
    settings.SECRET_KEY = own_key
    later = change(image, editor)

    with pytest.raises(CommandError, match="签名不符"):
        restore(archive)
    assert state(image) == later

    restore(archive, "--trust-unsigned")
    titles, media = state(image)
    assert "备份后的稿件" not in titles
    assert media["editor/2023/12/chart.png"] == BACKED_UP


@pytest.mark.parametrize(
    ("at_backup", "at_restore"),
    [
        ({"BACKUP_SIGNING_KEY": "shared"}, {"BACKUP_SIGNING_KEY": "shared"}),
        ({"SECRET_KEY": "before rotation"}, {"SECRET_KEY_FALLBACKS": ["before rotation"]}),
    ],
    ids=["shared signing key", "rotated secret key"],
)
def test_an_archive_signed_with_a_key_we_hold_restores(
    settings, image, editor, tmp_path, at_backup, at_restore
):
    settings.SECRET_KEY = "first installation"
    for name, value in at_backup.items():
        setattr(settings, name, value)
    archive = back_up(tmp_path / "elsewhere")
    change(image, editor)
    settings.SECRET_KEY = "second installation"
    settings.BACKUP_SIGNING_KEY = ""
    for name, value in at_restore.items():
        setattr(settings, name, value)

    restore(archive)

    assert "备份后的稿件" not in state(image)[0]


def test_trust_unsigned_still_checks_every_file(archive, image, later, tmp_path):
    members = read(archive)
    members[IMAGE] = b"\x89PNG damaged in transit"
    del members["manifest.sig"]
    damaged = pack(tmp_path / "damaged.tar", members)

    with pytest.raises(CommandError, match="备份文件已损坏"):
        restore(damaged, "--trust-unsigned")

    assert state(image) == later


def entry(name, kind=tarfile.REGTYPE, link="", data=b"planted"):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data if kind == tarfile.REGTYPE else None


@pytest.mark.parametrize(
    "unsafe",
    [
        lambda outside: [entry("../outside/escaped.txt")],
        lambda outside: [entry("media/../../outside/escaped.txt")],
        lambda outside: [entry(str(outside / "escaped.txt"))],
        lambda outside: [
            entry("media/link", tarfile.SYMTYPE, str(outside)),
            entry("media/link/escaped.txt"),
        ],
        lambda outside: [entry("media/link", tarfile.SYMTYPE, "../../outside")],
        lambda outside: [entry("media/hard", tarfile.LNKTYPE, str(outside / "escaped.txt"))],
        lambda outside: [entry("media/hard", tarfile.LNKTYPE, "../outside/escaped.txt")],
        lambda outside: [entry("media/tty", tarfile.CHRTYPE)],
        lambda outside: [entry("media/fifo", tarfile.FIFOTYPE)],
    ],
    ids=[
        "dot-dot",
        "dot-dot inside",
        "absolute",
        "through a symlink",
        "symlink out",
        "absolute hardlink",
        "hardlink out",
        "device",
        "fifo",
    ],
)
def test_an_unsafe_entry_gets_an_error_and_writes_nothing(archive, image, later, tmp_path, unsafe):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "escaped.txt").write_bytes(b"outside, before")
    slipped = pack(tmp_path / "slip.tar", read(archive), *unsafe(outside))

    # Trusting the archive must not make an unsafe entry acceptable either.
    for flags in [(), ("--trust-unsigned",)]:
        with pytest.raises(CommandError, match="不安全的条目"):
            restore(slipped, *flags)

    assert [path.name for path in outside.iterdir()] == ["escaped.txt"]
    assert (outside / "escaped.txt").read_bytes() == b"outside, before"
    assert not (tmp_path / "escaped.txt").exists()
    assert state(image) == later


def not_a_tar(members, path):
    path.write_bytes(b"PK\x03\x04 this is a zip file, not a tar")


def truncated(members, path):
    pack(path, members)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def manifest_not_json(members, path):
    text = b"{not json"
    pack(path, {**members, "manifest.json": text, "manifest.sig": signing.sign(text).encode()})


def manifest_missing(members, path):
    pack(path, {name: data for name, data in members.items() if name != "manifest.json"})


def file_missing(members, path):
    pack(path, {name: data for name, data in members.items() if name != IMAGE})


def file_not_listed(members, path):
    pack(path, {**members, "media/editor/unlisted.png": b"\x89PNG not in the manifest"})


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (not_a_tar, "无法读取或解开备份文件"),
        (truncated, "无法读取或解开备份文件|不完整"),
        (manifest_not_json, "清单（manifest.json）无法解读"),
        (manifest_missing, "缺少 manifest.json"),
        (file_missing, "备份文件不完整：缺少清单中的 media/editor/2023/12/chart.png"),
        (file_not_listed, "media/editor/unlisted.png 不在清单中"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_a_malformed_archive_gets_an_error_and_changes_nothing(
    archive, image, later, tmp_path, damage, message
):
    broken = tmp_path / "broken.tar"
    damage(read(archive), broken)

    for flags in [(), ("--trust-unsigned",)]:
        with pytest.raises(CommandError, match=message):
            restore(broken, *flags)

    assert state(image) == later
