import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

UPLOAD_URL = reverse("editor_image_upload")


def image_bytes(fmt="PNG", size=(64, 48), mode="RGB", **save_args):
    buffer = io.BytesIO()
    Image.new(mode, size, color=(200, 30, 30) if mode == "RGB" else 0).save(
        buffer, format=fmt, **save_args
    )
    return buffer.getvalue()


def upload(client, content, name="photo.png"):
    return client.post(UPLOAD_URL, {"upload": SimpleUploadedFile(name, content)})


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.mark.django_db
def test_anonymous_upload_is_refused(client, media_root):
    response = upload(client, image_bytes())
    assert response.status_code == 403
    assert stored_files(media_root) == []


@pytest.mark.django_db
def test_subscriber_admin_upload_is_refused(client_for, subadmin, media_root):
    response = upload(client_for(subadmin), image_bytes())
    assert response.status_code == 403
    assert stored_files(media_root) == []


@pytest.mark.django_db
def test_subscriber_upload_is_refused(client_for, leader, media_root):
    response = upload(client_for(leader), image_bytes())
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "您没有上传图片的权限。"
    assert stored_files(media_root) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fmt", "extension"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp"), ("GIF", "gif")]
)
def test_staff_upload_is_reencoded_under_a_server_chosen_name(
    client_for, editor, media_root, fmt, extension
):
    payload = b"<script>alert(1)</script>PK\x03\x04appended-archive"
    response = upload(client_for(editor), image_bytes(fmt) + payload, name="../../evil.php.png")

    assert response.status_code == 200
    url = response.json()["url"]
    assert url.startswith("/media/editor/")
    assert url.endswith(f".{extension}")
    assert "evil" not in url
    [stored] = stored_files(media_root)
    data = stored.read_bytes()
    assert payload not in data
    with Image.open(stored) as image:
        assert image.format == fmt
        assert image.size == (64, 48)


@pytest.mark.django_db
def test_exif_metadata_is_dropped(client_for, editor, media_root):
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker-Secret"
    response = upload(client_for(editor), image_bytes("JPEG", exif=exif.tobytes()), name="a.jpg")
    assert response.status_code == 200
    [stored] = stored_files(media_root)
    assert b"CameraMaker-Secret" not in stored.read_bytes()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"<?php system($_GET['c']); ?>", "shell.png", "无法识别该图片"),
        (b"%PDF-1.4 fake", "doc.pdf", "无法识别该图片"),
        (image_bytes("BMP"), "old.bmp", "不支持该图片格式"),
        (image_bytes("TIFF"), "scan.tiff", "不支持该图片格式"),
        (image_bytes("PNG")[:40], "truncated.png", "无法识别该图片"),
    ],
)
def test_bad_files_answer_400_with_a_message(
    client_for, editor, media_root, content, name, message
):
    response = upload(client_for(editor), content, name=name)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert stored_files(media_root) == []


@pytest.mark.django_db
def test_decompression_bomb_png_answers_400(client_for, editor, media_root):
    # 20000 x 20000 one-bit pixels compress to a few dozen kilobytes.
    bomb = image_bytes("PNG", size=(20000, 20000), mode="1", optimize=True)
    assert len(bomb) < 1_000_000
    response = upload(client_for(editor), bomb, name="bomb.png")
    assert response.status_code == 400
    assert "像素尺寸过大" in response.json()["error"]["message"]
    assert stored_files(media_root) == []


@pytest.mark.django_db
def test_pixel_limit_below_pillows_own(client_for, editor, media_root, settings):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 100 * 100
    response = upload(client_for(editor), image_bytes("PNG", size=(101, 100)))
    assert response.status_code == 400
    assert "1 万像素以内" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_file_over_the_size_limit_answers_400(client_for, editor, media_root, settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 1000
    response = upload(client_for(editor), image_bytes("PNG", size=(300, 300)) + b"\0" * 2000)
    assert response.status_code == 400
    assert "图片文件过大" in response.json()["error"]["message"]
    assert stored_files(media_root) == []


@pytest.mark.django_db
def test_missing_file_and_get_are_refused(client_for, editor):
    client = client_for(editor)
    assert client.post(UPLOAD_URL, {}).status_code == 400
    assert client.get(UPLOAD_URL).status_code == 405
