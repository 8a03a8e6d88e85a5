import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from PIL import Image

from apps.core.images import reencode_image
from apps.reader.printing import render_pdf
from tests.factories import IssueFactory, StaffFactory


def truncated_png():
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 120, 200)).save(buffer, "PNG")
    data = buffer.getvalue()
    return data[: len(data) // 2]  # a sound header, half the pixels


@pytest.mark.django_db
def test_a_truncated_upload_is_refused_even_after_a_pdf_was_made():
    request = RequestFactory().get("/")
    request.user = StaffFactory()
    render_pdf(request, IssueFactory())  # imports WeasyPrint, which relaxes Pillow
    with pytest.raises(ValidationError, match="无法识别该图片"):
        reencode_image(SimpleUploadedFile("cut.png", truncated_png(), "image/png"))
