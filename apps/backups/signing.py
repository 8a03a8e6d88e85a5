"""The manifest's signature: proof that an archive was written by this installation.

Checksums only show that the files match the manifest; whoever can change the archive can
rewrite both. An HMAC of manifest.json with a key the installation keeps to itself cannot be
recomputed, so a valid signature vouches for the manifest and, through its checksums, for
every file.
"""

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

# The salt derives a key for this one purpose: SECRET_KEY is never used raw, and a signature made
# here is worth nothing to anything else Django signs with the same secret, nor the reverse.
SALT = "apps.backups.manifest"


def sign(manifest: bytes) -> str:
    """Return the signature of the manifest's bytes, made with the current key."""
    return _hmac(manifest, _secrets()[0])


def is_valid(manifest: bytes, signature: str) -> bool:
    """Return whether `signature` was made for exactly these bytes with one of our keys."""
    return any(constant_time_compare(signature, _hmac(manifest, secret)) for secret in _secrets())


def _secrets():
    if settings.BACKUP_SIGNING_KEY:
        return [settings.BACKUP_SIGNING_KEY]
    # The fallbacks keep archives written before a SECRET_KEY rotation restorable.
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def _hmac(manifest, secret):
    return salted_hmac(SALT, manifest, secret=secret, algorithm="sha256").hexdigest()
