from django import forms

from apps.core.images import reencode_image


class ReencodedImageField(forms.ImageField):
    """An image upload field that accepts only what apps.core.images accepts, re-encoded."""

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)  # skip ImageField's own Pillow pass
        if upload is None:
            return None
        return reencode_image(upload)
