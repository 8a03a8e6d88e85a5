"""Uploaded images are bounded in total pixels across all frames, before anything is decoded.

A 100-frame 3000 x 3000 GIF passed the old checks (pixels per frame, frames) and ran the worker
into its timeout; width x height x frames <= IMAGE_UPLOAD_MAX_PIXELS is now checked from the
headers, and a GIF whose frames grow its screen is held to it frame by frame.
"""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import GifImagePlugin, Image, ImageFile

from apps.core.images import MAX_FRAMES, reencode_image
from apps.issues.models import Issue
from tests.factories import UserFactory

BUDGET_MESSAGE = "动图各帧像素合计超过"


def animated_gif(frames, size):
    """A real animated GIF: each frame differs from the one before by a pixel, so the file is
    tiny while every frame decodes to the full size."""
    base = Image.new("P", size, 0)
    base.putpalette([0, 0, 0, 255, 255, 255])
    images = []
    for index in range(frames):
        frame = base.copy()
        position = index % (size[0] * size[1])
        frame.putpixel((position % size[0], position // size[0]), 1)
        images.append(frame)
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=40, loop=0)
    return out.getvalue()


def _gif_parts(data):
    """Return a one-frame GIF's header (with its colour table) and its image block."""
    flags = data[10]
    position = 13 + ((3 << ((flags & 7) + 1)) if flags & 0x80 else 0)
    header = data[:position]
    while data[position] == 0x21:  # an extension: introducer, label, then sub-blocks
        position += 2
        while data[position]:
            position += data[position] + 1
        position += 1
    assert data[position] == 0x2C
    start = position
    position += 10
    if data[start + 9] & 0x80:  # a local colour table
        position += 3 << ((data[start + 9] & 7) + 1)
    position += 1  # LZW minimum code size, then the data sub-blocks
    while data[position]:
        position += data[position] + 1
    return header, data[start : position + 1]


def growing_gif(*, screen, frame, frames):
    """A GIF whose header says `screen` and whose frames after the first are `frame` large:
    Pillow grows the image as it decodes them, so the header understates the work."""

    def one_frame(size):
        image = Image.new("P", size, 0)
        image.putpalette([0, 0, 0, 255, 255, 255])
        image.putpixel((size[0] - 1, size[1] - 1), 1)
        out = io.BytesIO()
        image.save(out, "GIF")
        return out.getvalue()

    header, small = _gif_parts(one_frame(screen))
    _, large = _gif_parts(one_frame(frame))
    control = b"\x21\xf9\x04\x00\x04\x00\x00\x00"  # graphic control: 40 ms
    return header + control + small + (control + large) * (frames - 1) + b";"


def gif_upload(content, name="anim.gif"):
    return SimpleUploadedFile(name, content, content_type="image/gif")


@pytest.fixture(scope="module")
def over_budget():
    """60 frames of 1000 x 1000: 60 million pixels, over the default 40 million."""
    return animated_gif(60, (1000, 1000))


@pytest.fixture
def decoded(monkeypatch):
    """Record the size of every frame Pillow decodes, and every frame a GIF is sought to."""
    record = {"loads": [], "seeks": []}
    load, seek = ImageFile.ImageFile.load, GifImagePlugin.GifImageFile.seek

    def spy_load(image):
        if image.tile:  # something left to decode
            record["loads"].append(image.size)
        return load(image)

    def spy_seek(image, frame):
        record["seeks"].append(frame)
        return seek(image, frame)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy_load)
    monkeypatch.setattr(GifImagePlugin.GifImageFile, "seek", spy_seek)
    return record


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_the_old_checks_let_this_animation_through(over_budget, settings):
    # Each limit alone is respected: only the total is over.
    with Image.open(io.BytesIO(over_budget)) as image:
        assert image.n_frames == 60 <= MAX_FRAMES
        assert image.width * image.height <= settings.IMAGE_UPLOAD_MAX_PIXELS
        assert image.width * image.height * image.n_frames > settings.IMAGE_UPLOAD_MAX_PIXELS
    assert len(over_budget) < settings.IMAGE_UPLOAD_MAX_BYTES


def test_an_animation_over_the_budget_is_refused_before_any_frame_is_decoded(over_budget, decoded):
    with pytest.raises(ValidationError) as refused:
        reencode_image(gif_upload(over_budget))
    assert refused.value.code == "too_many_pixels"
    assert BUDGET_MESSAGE in refused.value.messages[0]
    assert "4000 万" in refused.value.messages[0]
    assert decoded["loads"] == []
    assert all(frame == 0 for frame in decoded["seeks"])  # never moved past the first frame


@pytest.mark.django_db
def test_the_editor_upload_answers_with_the_message_for_ckeditor(
    client_for, editor, media_root, over_budget
):
    response = client_for(editor).post(
        reverse("editor_image_upload"), {"upload": gif_upload(over_budget)}
    )
    assert response.status_code == 400
    assert BUDGET_MESSAGE in response.json()["error"]["message"]
    assert not [path for path in media_root.rglob("*") if path.is_file()]


@pytest.mark.django_db
def test_the_cover_form_shows_the_message_and_keeps_what_was_typed(client, media_root, over_budget):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:issues_issue_add"),
        {
            "year": "2025",
            "number": "4",
            "total_number": "",
            "title": "动图封面测试",
            "editor_note": "<p>编者按</p>",
            "status": Issue.Status.DRAFT,
            "published_at_0": "",
            "published_at_1": "",
            "articles-TOTAL_FORMS": "0",
            "articles-INITIAL_FORMS": "0",
            "articles-MIN_NUM_FORMS": "0",
            "articles-MAX_NUM_FORMS": "1000",
            "cover": gif_upload(over_budget, "cover.gif"),
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert BUDGET_MESSAGE in page
    assert 'value="动图封面测试"' in page
    assert not Issue.objects.exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()]


def test_an_animation_at_the_budget_is_accepted_with_its_frames(settings):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 10 * 100 * 100
    stored = reencode_image(gif_upload(animated_gif(10, (100, 100))))
    with Image.open(stored) as image:
        assert image.format == "GIF"
        assert image.size == (100, 100)
        assert image.n_frames == 10
        assert image.info["duration"] == 40

    with pytest.raises(ValidationError) as refused:
        reencode_image(gif_upload(animated_gif(11, (100, 100))))
    assert refused.value.code == "too_many_pixels"


def test_the_default_budget_accepts_an_animation_just_under_it(settings):
    # 39 frames of 1000 x 1000: 39 million pixels, re-encoded in about a second.
    assert 39 * 1000 * 1000 <= settings.IMAGE_UPLOAD_MAX_PIXELS
    stored = reencode_image(gif_upload(animated_gif(39, (1000, 1000))))
    with Image.open(stored) as image:
        assert image.n_frames == 39


def test_frames_that_grow_the_screen_are_counted_before_they_are_decoded(settings, decoded):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 200_000
    gif = growing_gif(screen=(10, 10), frame=(400, 400), frames=6)
    with Image.open(io.BytesIO(gif)) as image:
        # The header alone: 10 x 10 x 6 frames, far under the budget.
        assert image.size == (10, 10)
        assert image.n_frames == 6

    with pytest.raises(ValidationError) as refused:
        reencode_image(gif_upload(gif))
    assert refused.value.code == "too_many_pixels"
    # The screen and the first grown frame were decoded; the frame that went over was not.
    assert decoded["loads"] == [(10, 10), (400, 400)]


def test_a_still_image_keeps_its_own_message(settings):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 100 * 100
    buffer = io.BytesIO()
    Image.new("RGB", (101, 100)).save(buffer, format="PNG")
    with pytest.raises(ValidationError) as refused:
        reencode_image(SimpleUploadedFile("big.png", buffer.getvalue()))
    assert refused.value.code == "too_many_pixels"
    assert "图片像素尺寸过大" in refused.value.messages[0]


def test_the_number_of_frames_is_still_bounded():
    # Tiny frames fit the pixel budget, but each frame has a cost of its own.
    with pytest.raises(ValidationError) as refused:
        reencode_image(gif_upload(animated_gif(MAX_FRAMES + 1, (2, 2))))
    assert refused.value.code == "too_many_frames"
