from django import forms
from django.core.exceptions import ValidationError

from apps.feedback.models import Feedback


class MessageField(forms.CharField):
    """The message's text, counted as the reader sees it.

    Browsers send a line break as CR LF: each counts as one character, as the page's counter
    (static/js/char-count.js) counts it, so a text the counter accepts is never refused.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n")


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = Feedback
        fields = ["message"]
        field_classes = {"message": MessageField}
        widgets = {
            "message": forms.Textarea(
                # The counter's hook: it shows how many characters are left.
                attrs={"rows": 6, "data-max-chars": Feedback.MAX_LENGTH}
            )
        }
        labels = {"message": "您的意见和建议"}
        help_texts = {"message": f"不超过 {Feedback.MAX_LENGTH} 个字。"}
        error_messages = {
            "message": {
                "required": "请填写意见内容。",
                "max_length": "内容不能超过 %(limit_value)d 个字（当前 %(show_value)d 个字），"
                "请删减后再提交。您填写的内容仍保留在下方。",
            }
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No maxlength: a browser cuts a longer paste there without a word. The counter says
        # how much is left, and a longer text is refused with the text kept.
        self.fields["message"].widget.attrs.pop("maxlength", None)

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if not message:
            raise ValidationError("请填写意见内容。", code="required")
        return message
