"""The uploaded Word file, kept on the server between the upload and the confirmation.

The file is stored under MEDIA_ROOT (which several app servers share) with a random name, and
the browser holds only a signed reference to it that names the user who uploaded it, so the
preview and the confirmation need no second upload, the session stays small, and nobody else
can use the reference. Files are deleted once imported, and any older than a day whenever
someone uploads.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

FOLDER = "wordimport-tmp"
MAX_AGE = timedelta(days=1)
SALT = "apps.wordimport.upload"
TOKEN = re.compile(r"[0-9a-f]{32}")
FILENAME_MAX = 100


@dataclass
class KeptUpload:
    ref: str
    token: str
    filename: str
    data: bytes

    @property
    def path(self) -> str:
        return _path(self.token)


def keep(data: bytes, *, filename: str, user) -> str:
    """Store `data` for `user` and return the signed reference to it."""
    sweep()
    token = secrets.token_hex(16)
    default_storage.save(_path(token), ContentFile(data))
    value = {"t": token, "u": user.pk, "n": (filename or "")[:FILENAME_MAX]}
    return signing.dumps(value, salt=SALT, compress=True)


def load(ref: str, *, user) -> KeptUpload | None:
    """Return the upload `ref` names if it is `user`'s, recent and still there; else None."""
    if not isinstance(ref, str) or not ref or len(ref) > 1000:
        return None
    try:
        value = signing.loads(ref, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # also an expired one
        return None
    if not isinstance(value, dict) or value.get("u") != user.pk:
        return None
    token = value.get("t")
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return None
    try:
        with default_storage.open(_path(token), "rb") as stored:
            data = stored.read()
    except OSError:  # imported already, or swept away
        return None
    return KeptUpload(ref=ref, token=token, filename=str(value.get("n") or ""), data=data)


def discard(upload: KeptUpload) -> None:
    try:
        default_storage.delete(upload.path)
    except OSError:
        pass  # gone already: the sweep would have removed it anyway


def sweep() -> None:
    """Delete kept files older than MAX_AGE (their references have expired)."""
    try:
        _, names = default_storage.listdir(FOLDER)
    except OSError:  # the folder does not exist yet
        return
    cutoff = timezone.now() - MAX_AGE
    for name in names:
        path = f"{FOLDER}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except OSError:
            continue  # another server swept it a moment ago


def _path(token: str) -> str:
    return f"{FOLDER}/{token}.docx"
