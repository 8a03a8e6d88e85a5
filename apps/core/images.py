"""Checking and re-encoding uploaded images (editor images and issue covers).

Every accepted image is decoded and encoded again by Pillow, so anything appended to or hidden
in the file (scripts, archives, EXIF with GPS positions) is dropped, and its stored name is
chosen by the server.
"""

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from PIL import Image, ImageOps

# Pillow format name -> file extension of the stored copy.
ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
# Each frame costs work of its own beside its pixels; the pixel budget bounds the rest.
MAX_FRAMES = 100


def reencode_image(upload) -> ContentFile:
    """Return a re-encoded copy of an uploaded image, or raise ValidationError in Chinese.

    Decoding and encoding are bounded in total pixels, all frames together, by
    settings.IMAGE_UPLOAD_MAX_PIXELS: the budget is checked from the file's header before any
    frame is decoded, so a small file that would take minutes to decode is refused at once.
    """
    if upload.size > settings.IMAGE_UPLOAD_MAX_BYTES:
        raise ValidationError(
            "图片文件过大（%(size)s），请上传不超过 %(limit)s 的图片。",
            code="too_large",
            params={
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.IMAGE_UPLOAD_MAX_BYTES),
            },
        )
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image_format = image.format
            _check_format_and_size(image)
            data = _encode(image)
    except Image.DecompressionBombError as error:
        raise _too_many_pixels() from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ValidationError(
            "无法识别该图片，文件可能已损坏。请上传 JPEG、PNG、WebP 或 GIF 图片。",
            code="invalid_image",
        ) from error
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{ACCEPTED_FORMATS[image_format]}")


def _check_format_and_size(image):
    # Everything here comes from the header and the frames' headers: nothing is decoded yet.
    if image.format not in ACCEPTED_FORMATS:
        raise ValidationError(
            "不支持该图片格式，请上传 JPEG、PNG、WebP 或 GIF 图片。", code="invalid_format"
        )
    width, height = image.size
    if width * height > settings.IMAGE_UPLOAD_MAX_PIXELS:
        raise _too_many_pixels()
    frames = getattr(image, "n_frames", 1)
    if frames > MAX_FRAMES:
        raise ValidationError(
            "动图帧数过多，请上传不超过 %(limit)s 帧的 GIF。",
            code="too_many_frames",
            params={"limit": MAX_FRAMES},
        )
    if width * height * frames > settings.IMAGE_UPLOAD_MAX_PIXELS:
        raise _too_many_pixels(animated=True)


def _too_many_pixels(*, animated=False):
    if animated:
        return ValidationError(
            "动图各帧像素合计超过 %(limit)s 万像素，请缩小尺寸或减少帧数后再上传。",
            code="too_many_pixels",
            params={"limit": settings.IMAGE_UPLOAD_MAX_PIXELS // 10_000},
        )
    return ValidationError(
        "图片像素尺寸过大，请缩小到 %(limit)s 万像素以内后再上传。",
        code="too_many_pixels",
        params={"limit": settings.IMAGE_UPLOAD_MAX_PIXELS // 10_000},
    )


def _gif_frames(image):
    """Yield copies of a GIF's frames, counting each frame's pixels before it is decoded.

    A GIF's later frames may be larger than its screen, which then grows as they are decoded:
    the header alone can understate the work, so the budget is also kept frame by frame.
    """
    spent = 0
    for index in range(image.n_frames):
        image.seek(index)  # reads this frame's header; the frames before it are decoded
        spent += image.width * image.height
        if spent > settings.IMAGE_UPLOAD_MAX_PIXELS:
            raise _too_many_pixels(animated=True)
        yield image.copy()  # decodes this frame


def _encode(image) -> bytes:
    out = io.BytesIO()
    image_format = image.format
    if image_format == "GIF":
        # Keep animations: Pillow takes the frames after the first from `append_images`, one
        # at a time, as it writes them.
        frames = _gif_frames(image)
        first = next(frames)
        first.save(out, format="GIF", save_all=True, append_images=frames)
        return out.getvalue()
    # One frame only (an animated PNG or WebP keeps its first): apply the camera's rotation
    # before EXIF is dropped with the rest of the metadata.
    upright = ImageOps.exif_transpose(image)
    if image_format == "JPEG":
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        upright.save(out, format="JPEG", quality=88, optimize=True)
    elif image_format == "PNG":
        upright.save(out, format="PNG", optimize=True)
    else:
        upright.save(out, format="WEBP", quality=88)
    return out.getvalue()


def store_editor_image(image) -> tuple[str, str]:
    """Store a re-encoded image as the editor's own upload; return its name and URL."""
    name = default_storage.save(upload_path("editor", image.name), image)
    return name, default_storage.url(name)


def upload_path(folder: str, filename: str) -> str:
    """Return a dated storage path under `folder` for a server-chosen file name."""
    return f"{folder}/{timezone.localdate():%Y/%m}/{filename}"
