"""The images of a Word issue: read by mammoth, held to the upload limits, re-encoded.

Each image goes through apps.core.images.reencode_image, as an editor's upload does (type,
bytes, pixels, re-encoding, a server-chosen name). On top of the per-image limits, a
document's images together are bounded in number and in pixels, so one file cannot make the
server decode an unbounded amount.
"""

import io
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image

from apps.core.images import reencode_image

logger = logging.getLogger(__name__)

UNDECODABLE = "无法识别该图片，文件可能已损坏。"
# mammoth writes this into <img src>; the real URL replaces it once the image is stored.
PLACEHOLDER = "wordimport-image:"
MAX_IMAGES = 60
# A document may hold a few full-size photos, not an album.
TOTAL_PIXEL_FACTOR = 4


@dataclass
class ParsedImage:
    index: int
    file: ContentFile | None  # re-encoded, ready to store; None when it could not be used
    error: str = ""

    @property
    def number(self) -> int:
        """Its place among the document's images, counted from 1 as an editor would."""
        return self.index + 1


class ImageReader:
    """mammoth's image converter (used with mammoth.images.img_element) that keeps each image."""

    def __init__(self):
        self.images: list[ParsedImage] = []
        self.pixels = 0

    def __call__(self, image) -> dict[str, str]:
        index = len(self.images)
        self.images.append(self._read(index, image))
        return {"src": f"{PLACEHOLDER}{index}"}

    def _read(self, index, image) -> ParsedImage:
        if index >= MAX_IMAGES:
            return ParsedImage(index, None, f"文档中的图片超过 {MAX_IMAGES} 张，其余图片未导入。")
        try:
            with image.open() as stream:
                # One byte more than allowed is enough to know it is too large.
                data = stream.read(settings.IMAGE_UPLOAD_MAX_BYTES + 1)
        except Exception:  # a missing, linked or damaged part: only this image is skipped
            return ParsedImage(index, None, "无法读取该图片（图片缺失或为外部链接）。")
        budget = settings.IMAGE_UPLOAD_MAX_PIXELS * TOTAL_PIXEL_FACTOR
        pixels = _pixels(data)
        if pixels is not None and self.pixels + pixels > budget:
            return ParsedImage(
                index, None, f"文档中图片的总像素超过 {budget // 10_000} 万，该图片未导入。"
            )
        try:
            reencoded = reencode_image(ContentFile(data, name="image"))
        except ValidationError as error:
            return ParsedImage(index, None, error.messages[0])
        except Exception:  # a decoder tripping over a malformed file: only this image is lost
            logger.warning("Word import: an image could not be decoded", exc_info=True)
            return ParsedImage(index, None, UNDECODABLE)
        self.pixels += pixels or 0
        return ParsedImage(index, reencoded)


def _pixels(data: bytes) -> int | None:
    """Return width x height x frames from the image's headers, without decoding it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            return width * height * getattr(image, "n_frames", 1)
    except Exception:  # unreadable or absurd: reencode_image says why, in Chinese
        return None
