from django import forms
from django.core.exceptions import ValidationError

from apps.feedback.models import Feedback


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = Feedback
        fields = ["message"]
        widgets = {"message": forms.Textarea(attrs={"rows": 6, "maxlength": Feedback.MAX_LENGTH})}
        labels = {"message": "您的意见和建议"}
        error_messages = {
            "message": {
                "required": "请填写意见内容。",
                "max_length": "内容不能超过 %(limit_value)d 个字（当前 %(show_value)d 个字）。",
            }
        }

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if not message:
            raise ValidationError("请填写意见内容。", code="required")
        return message
