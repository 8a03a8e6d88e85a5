"""Checks on an uploaded file before any parser reads it: type, size and the zip container.

A .docx is a zip of XML parts. Its central directory says how large each part becomes once
inflated, and Python's zipfile never inflates a part beyond that size, so checking those sizes
bounds the work mammoth and python-docx will do, whatever the file claims to be.
"""

import io
import re
import zipfile
from pathlib import PurePath

from django.template.defaultfilters import filesizeformat

# Limits for one issue. A bulletin with photos is a few MB; the XML of a long issue a few MB.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
# Text compresses about 10:1; a part inflating a hundred times more is built to do harm.
MAX_RATIO = 200
RATIO_APPLIES_ABOVE = 1024 * 1024

# An OLE compound file: Word 97-2003 documents, and .docx files protected by a password.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Office parts never declare a DTD; one that does is trying entity expansion.
DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)

EMPTY_FILE = "上传的文件是空的，请选择要导入的 Word 文档（.docx）。"
LEGACY_DOC = (
    "这是旧版 Word 文档（.doc）或设置了打开密码的文档，系统无法读取。"
    "请在 Word 中打开它，选择“另存为”，保存类型选“Word 文档（*.docx）”（不设打开密码），"
    "再上传保存好的 .docx 文件。"
)
WRONG_TYPE = "只能导入 Word 文档（.docx）。请在 Word 中“另存为” .docx 格式后再上传。"
NOT_WORD = (
    "该文件不是有效的 Word 文档（.docx），无法读取。请确认上传的是用 Word 保存的 .docx 文件。"
)
TOO_LARGE_CONTENT = "文档内容过大或压缩方式异常，无法导入。请删去过大的图片或分成几个文档后再试。"


class ImportRefused(Exception):
    """The file cannot be imported; the message says why, in Chinese, for the editor."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_upload(name: str, data: bytes) -> None:
    """Raise ImportRefused unless `data` (uploaded as `name`) may be handed to the parsers."""
    if not data:
        raise ImportRefused(EMPTY_FILE)
    suffix = PurePath(name or "").suffix.lower()
    if suffix == ".doc" or data.startswith(OLE_MAGIC):
        raise ImportRefused(LEGACY_DOC)
    if suffix != ".docx":
        raise ImportRefused(WRONG_TYPE)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportRefused(too_large(len(data)))
    check_package(data)


def too_large(size: int) -> str:
    return (
        f"文件过大（{filesizeformat(size)}），"
        f"请上传不超过 {filesizeformat(MAX_UPLOAD_BYTES)} 的 Word 文档。"
    )


def check_package(data: bytes) -> None:
    """Raise ImportRefused unless `data` is a zip whose parts stay within the limits."""
    if not data.startswith(b"PK"):
        raise ImportRefused(NOT_WORD)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
            _check_sizes(members)
            names = {member.filename for member in members}
            if "[Content_Types].xml" not in names or not any(
                name.startswith("word/") for name in names
            ):
                raise ImportRefused(NOT_WORD)
            for member in members:
                if member.filename.endswith((".xml", ".rels")) and DTD.search(package.read(member)):
                    raise ImportRefused(NOT_WORD)
    except ImportRefused:
        raise
    # Whatever else a damaged container raises (bad CRC, truncated data, unknown compression).
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise ImportRefused(NOT_WORD) from error
    except NotImplementedError as error:  # a compression method zipfile does not know
        raise ImportRefused(NOT_WORD) from error


def _check_sizes(members) -> None:
    if len(members) > MAX_MEMBERS:
        raise ImportRefused(TOO_LARGE_CONTENT)
    total = 0
    for member in members:
        if member.flag_bits & 0x1:  # encrypted entry
            raise ImportRefused(NOT_WORD)
        size = member.file_size
        total += size
        if size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
            raise ImportRefused(TOO_LARGE_CONTENT)
        if size > RATIO_APPLIES_ABOVE and size > MAX_RATIO * max(member.compress_size, 1):
            raise ImportRefused(TOO_LARGE_CONTENT)
