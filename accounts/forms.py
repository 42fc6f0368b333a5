from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app, or (where allowed) a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=40,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args: Any, recovery: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = (
            "The six digits your authenticator app shows now, or one of your recovery codes."
            if recovery
            else "The six digits your authenticator app shows now."
        )
        if not recovery:
            self.fields["code"].widget.attrs["inputmode"] = "numeric"

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if "\x00" in code:
            raise forms.ValidationError("Enter the code as it is shown, digits and letters only.")
        return code


class DisableForm(CodeForm):
    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    field_order = ["password", "code"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.pop("autofocus", None)


class EmailAuthenticationForm(AuthenticationForm):
    """Sign-in as people know it: with the email address the account was invited with.

    Accounts are named by their email address (invitations create them so), so the field keeps
    Django's "username" name and only says what to type.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter a correct email address and password. Note that both fields may be "
            "case-sensitive."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.label = "Email address"
        field.widget.attrs.update({"inputmode": "email", "autocomplete": "username"})


class NotificationsForm(forms.Form):
    """A person's e-mail choices; both are on until the person turns them off."""

    digest = forms.BooleanField(
        required=False,
        label="E-mail me each morning about my action items that are due within 7 days or overdue",
    )
    reminders = forms.BooleanField(
        required=False,
        label="E-mail me each morning about assigned domains due within 3 days or overdue",
    )
