"""One dated archive with everything the institute would lose: the database and the uploads.

`write()` makes `bulletin-YYYYmmdd-HHMMSS.tar` holding the database (pg_dump's custom format
on PostgreSQL, a copy made with SQLite's online backup API on SQLite), every file under
MEDIA_ROOT, `manifest.json`, which names the database vendor, the migrations applied and a
SHA-256 of every member, and `manifest.sig`, the manifest's signature (apps.backups.signing).
`restore()` checks the whole archive in a temporary folder before it changes anything, so it can
refuse one that is damaged, forged, unsafe to unpack or meant for the other kind of database.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from apps.backups import signing
from apps.core import revisions

PREFIX = "bulletin-"
DATABASE_MEMBER = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why, in Chinese."""


# --- Backup ---------------------------------------------------------------------------------


def write(directory: Path, *, keep: int) -> Path:
    """Write a new archive into `directory`, keep only the newest `keep`; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    target = directory / f"{PREFIX}{stamp}.tar"
    partial = target.with_suffix(".tar.partial")
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / DATABASE_MEMBER[_vendor()]
        _dump_database(dump)
        members = {dump.name: dump, **_media_files()}
        manifest = {
            "created_at": timezone.now().isoformat(),
            "database": _vendor(),
            "migrations": _applied_migrations(),
            "files": {name: _sha256(path) for name, path in members.items()},
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        with tarfile.open(partial, "w") as tar:
            _add_bytes(tar, MANIFEST, text)
            _add_bytes(tar, SIGNATURE, signing.sign(text).encode("ascii"))
            for name, path in members.items():
                tar.add(path, arcname=name)
    partial.rename(target)  # a crash mid-way never leaves a file that looks complete
    for old in sorted(directory.glob(f"{PREFIX}*.tar"))[:-keep]:
        old.unlink()
    return target


def _vendor():
    if connection.vendor not in DATABASE_MEMBER:
        raise BackupError(f"不支持备份 {connection.vendor} 数据库。")
    return connection.vendor


def _dump_database(path):
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(path) as copy:
            connection.connection.backup(copy)  # a consistent copy while the site runs
        return
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(path)])


def _media_files():
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return {}
    return {
        f"media/{path.relative_to(root).as_posix()}": path
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _applied_migrations():
    recorder = MigrationRecorder(connection)
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


# --- Restore --------------------------------------------------------------------------------


def restore(archive: Path, *, force: bool, trust_unsigned: bool = False) -> dict:
    """Restore `archive` into the configured database and MEDIA_ROOT; return its manifest.

    Both must be empty unless `force`: restoring over live data is never an accident.
    `trust_unsigned` accepts an archive another installation signed, or nobody did.
    """
    if not archive.is_file():
        raise BackupError(f"找不到备份文件：{archive}")
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        manifest = _unpack(archive, folder, trust_unsigned=trust_unsigned)
        if manifest["database"] != connection.vendor:
            raise BackupError(
                f"该备份来自 {manifest['database']} 数据库，当前配置的是 {connection.vendor}。"
            )
        if DATABASE_MEMBER[connection.vendor] not in manifest["files"]:
            raise BackupError("备份文件中没有数据库，未做任何恢复。")
        if not force:
            _refuse_if_not_empty()
        _load_database(folder / DATABASE_MEMBER[connection.vendor])
        _load_media(folder / "media")
    # The counters go back to the backup's values, which caches may have seen with later rows.
    revisions.renew()
    return manifest


def _unpack(archive, folder, *, trust_unsigned):
    """Check `archive` and unpack it into `folder`; return its manifest.

    Nothing outside `folder` is written, so every refusal leaves the site as it was.
    """
    try:
        # "r:", not "r": write() never compresses, and an uncompressed tar fails in fewer ways.
        with tarfile.open(archive, "r:") as tar:
            members = tar.getmembers()
            for member in members:
                _refuse_if_unsafe(member)
            text = _read_member(tar, MANIFEST)
            if text is None:
                raise BackupError("这不是本系统的备份文件（缺少 manifest.json），未做任何恢复。")
            signature = _read_member(tar, SIGNATURE)
            if not trust_unsigned:
                _check_signature(text, signature)
            manifest = _parse_manifest(text)
            _check_members({member.name for member in members}, manifest)
            tar.extractall(folder, filter="data")  # a second guard against paths out of folder
    except (tarfile.TarError, OSError) as error:
        raise BackupError(
            f"无法读取或解开备份文件 {archive.name}：它不是本系统写的完整 tar 归档"
            f"（可能已截断或损坏：{error}），未做任何恢复。"
        ) from error
    _verify(folder, manifest)
    return manifest


def _refuse_if_unsafe(member):
    # write() puts only regular files under relative names in an archive. A link, a device or a
    # name that climbs out (tar-slip) could make unpacking write or point outside the folder.
    parts = PurePosixPath(member.name).parts
    if not member.isfile() or not parts or parts[0] == "/" or ".." in parts:
        raise BackupError(
            f"备份文件中有不安全的条目：{member.name}（只允许普通文件，且不得指向归档之外），"
            "未做任何恢复。"
        )


def _read_member(tar, name):
    try:
        return tar.extractfile(name).read()
    except KeyError:
        return None


def _check_signature(text, signature):
    if signature is None:
        raise BackupError(
            "备份文件没有签名，无法确认它由本系统生成，未做任何恢复。"
            "如确认来源可信（例如来自另一套安装），请加 --trust-unsigned。"
        )
    if not signing.is_valid(text, signature.decode("ascii", errors="replace").strip()):
        raise BackupError(
            "备份文件的签名不符：清单被改动过，或它由另一套安装（另一个密钥）生成，"
            "未做任何恢复。如确认来源可信，请加 --trust-unsigned。"
        )


def _parse_manifest(text):
    try:
        manifest = json.loads(text)
        valid = (
            isinstance(manifest["database"], str)
            and isinstance(manifest["created_at"], str)
            and isinstance(manifest["files"], dict)
            and all(isinstance(digest, str) for digest in manifest["files"].values())
        )
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise BackupError("备份文件的清单（manifest.json）无法解读，未做任何恢复。")
    return manifest


def _check_members(names, manifest):
    # An unlisted file would be restored without a checksum vouching for it.
    listed = set(manifest["files"])
    if missing := sorted(listed - names):
        raise BackupError(f"备份文件不完整：缺少清单中的 {missing[0]}，未做任何恢复。")
    if unlisted := sorted(names - listed - {MANIFEST, SIGNATURE}):
        raise BackupError(f"备份文件中的 {unlisted[0]} 不在清单中，未做任何恢复。")


def _refuse_if_not_empty():
    tables = connection.introspection.table_names()
    if "django_migrations" in tables and MigrationRecorder(connection).applied_migrations():
        raise BackupError("目标数据库不是空的。如确需覆盖，请加 --force。")
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(media.iterdir()):
        raise BackupError(f"上传文件目录 {media} 不是空的。如确需覆盖，请加 --force。")


def _verify(folder, manifest):
    for name, digest in manifest["files"].items():
        path = folder / name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"备份文件已损坏：{name} 与清单不符，未做任何恢复。")


def _load_database(path):
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(path) as source:
            source.backup(connection.connection)
        return
    database = connection.settings_dict["NAME"]
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--exit-on-error",
            "--dbname",
            database,
            str(path),
        ]
    )


def _load_media(folder):
    root = Path(settings.MEDIA_ROOT)
    if not folder.is_dir():
        return
    for path in folder.rglob("*"):
        if path.is_file():
            target = root / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


# --- Helpers --------------------------------------------------------------------------------


def _run(command):
    """Run a PostgreSQL client tool against the configured database."""
    database = connection.settings_dict
    environment = {
        **os.environ,
        "PGDATABASE": database["NAME"],
        "PGUSER": database["USER"] or "",
        "PGPASSWORD": database["PASSWORD"] or "",
        "PGHOST": database["HOST"] or "",
        "PGPORT": str(database["PORT"] or ""),
    }
    try:
        subprocess.run(command, env=environment, check=True, capture_output=True, text=True)  # noqa: S603
    except FileNotFoundError as error:
        raise BackupError(
            f"找不到 {command[0]}：请安装 PostgreSQL 客户端（postgresql-client）。"
        ) from error
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{command[0]} 失败：{error.stderr.strip()}") from error


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now().timestamp())  # noqa: DTZ005 - a file time, not a date
    tar.addfile(info, io.BytesIO(data))
