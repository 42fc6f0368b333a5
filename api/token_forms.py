"""Forms of the API tokens page: making a token, renaming and revoking one."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from assessments.models import Membership

NAME_MAX = 100
LATEST_EXPIRY = datetime.date(2100, 12, 31)
NAME_NEEDED = "Give the token a name, e.g. the script or system using it."


def _clean_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise forms.ValidationError(NAME_NEEDED)
    return name


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX,
        help_text="What uses it, e.g. “Power BI refresh”: the list shows this name.",
        error_messages={"required": NAME_NEEDED},
    )
    expires_on = forms.DateField(
        label="Expires on (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The token stops working at the start of this day. Empty: until revoked.",
    )
    read_only = forms.BooleanField(
        label="Read-only: it can read but never change anything", required=False
    )
    organisation = forms.ChoiceField(label="Organisation", required=False)

    def __init__(self, *args: Any, memberships: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {m.organisation.slug: m.organisation for m in memberships}
        field = self.fields["organisation"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "All my organisations")] + [
            (m.organisation.slug, m.organisation.name) for m in memberships
        ]
        field.help_text = "Limited to one organisation, it sees no other."

    def clean_name(self) -> str:
        return _clean_name(self.cleaned_data["name"])

    def clean_expires_on(self) -> datetime.date | None:
        day: datetime.date | None = self.cleaned_data.get("expires_on")
        if day is not None and not timezone.localdate() < day <= LATEST_EXPIRY:
            raise forms.ValidationError("Choose a day after today (and before 2101).")
        return day

    def clean_organisation(self) -> Any:
        slug = self.cleaned_data.get("organisation") or ""
        return self.organisations.get(slug)

    def expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class TokenChoiceForm(forms.Form):
    """Which of the person's tokens a rename or revoke is about."""

    token = forms.IntegerField(min_value=1, max_value=2**62)


class TokenRenameForm(TokenChoiceForm):
    name = forms.CharField(max_length=NAME_MAX)

    def clean_name(self) -> str:
        return _clean_name(self.cleaned_data["name"])
