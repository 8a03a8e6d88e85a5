from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from apps.accounts.models import mobile_validator
from apps.articles.models import Industry
from apps.core.ids import parse_id
from apps.subscribers.models import WECOM_USERID_TAKEN, Subscriber


class IndustryChoiceField(forms.ModelMultipleChoiceField):
    """The 6+3+3 industries as check boxes, grouped as the city groups them."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(Industry.objects.select_related("group"), required=False, **kwargs)

    def label_from_instance(self, industry):
        return industry.name

    def _check_values(self, value):
        # Only ids we could have printed reach the database: a 20-digit number would
        # overflow the integer column there (a 500, not a form error).
        if any(parse_id(str(item)) is None for item in value):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": ""}
            )
        return super()._check_values(value)


class ProfileForm(forms.ModelForm):
    """What a subscriber may change about their own subscription."""

    industries = IndustryChoiceField(label="关注产业")

    class Meta:
        model = Subscriber
        fields = ["industries", "notify_by_email"]


class SubscriberAdminForm(forms.ModelForm):
    """One form for a subscriber and the user account they sign in with."""

    username = forms.RegexField(
        label="用户名",
        max_length=150,
        regex=r"^[\w.@+-]+$",
        help_text="登录用，字母、数字或 @ . + - _。",
        error_messages={"invalid": "用户名只能包含字母、数字和 @ . + - _。"},
    )
    full_name = forms.CharField(label="姓名", max_length=150)
    mobile = forms.CharField(
        label="手机号码", max_length=11, required=False, validators=[mobile_validator]
    )
    email = forms.EmailField(label="电子邮箱", required=False)
    is_active = forms.BooleanField(label="账号可用", required=False, initial=True)
    industries = IndustryChoiceField(label="关注产业")

    class Meta:
        model = Subscriber
        fields = [
            "kind", "organization", "position", "region", "phone", "industries",
            "valid_from", "valid_until", "notify_by_email", "wecom_userid", "notes",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.instance.user if self.instance.user_id else None
        if user is not None:
            self.fields["username"].initial = user.username
            self.fields["full_name"].initial = user.get_full_name()
            self.fields["mobile"].initial = user.mobile
            self.fields["email"].initial = user.email
            self.fields["is_active"].initial = user.is_active

    def clean_wecom_userid(self):
        # Said on the field itself (the constraint, over lower(...), would say it for the form).
        userid = self.cleaned_data.get("wecom_userid", "")
        holder = Subscriber.bound_to_wecom(userid)
        if holder is not None and holder.pk != self.instance.pk:
            raise ValidationError(WECOM_USERID_TAKEN, code="unique")
        return userid

    def _post_clean(self):
        super()._post_clean()
        user = self.instance.user if self.instance.user_id else get_user_model()()
        names = {"username": "username", "mobile": "mobile", "email": "email"}
        for form_field, attr in names.items():
            if form_field in self.cleaned_data:
                setattr(user, attr, self.cleaned_data[form_field])
        if "full_name" in self.cleaned_data:
            user.last_name, user.first_name = self.cleaned_data["full_name"], ""
        user.is_active = self.cleaned_data.get("is_active", True)
        try:
            user.validate_unique()
            user.validate_constraints()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                target = field if field in self.fields else None
                for message in messages:
                    self.add_error(target, message)
        self._check_login_names(user)
        self._user = user

    def _check_login_names(self, user):
        """One signs in with a username, e-mail or mobile, and a username wins
        (apps.accounts.backends): none of them may be another account's name of another kind,
        or signing in with it would open this account instead of that one (a staff member's)."""
        others = get_user_model().objects.exclude(pk=user.pk)
        username = self.cleaned_data.get("username")
        if username and others.filter(Q(email__iexact=username) | Q(mobile=username)).exists():
            self.add_error("username", "该用户名是其他账号的电子邮箱或手机号码，不能用作用户名。")
        for field in ("mobile", "email"):
            value = self.cleaned_data.get(field)
            if value and others.filter(username__iexact=value).exists():
                self.add_error(field, "这是其他账号的用户名，不能用作电子邮箱或手机号码。")

    def save(self, commit=True):
        with transaction.atomic():
            user = self._user
            if user.pk is None:
                user.set_unusable_password()  # the invitation lets them choose one
            user.save()
            self.instance.user = user
            return super().save(commit=commit)
