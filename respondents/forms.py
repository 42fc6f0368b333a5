"""Forms of assignments: assigning a domain to a member, the reminder choice."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

EARLIEST_DUE = datetime.date(2000, 1, 1)
LATEST_DUE = datetime.date(2100, 12, 31)


class AssignForm(forms.Form):
    domain = forms.ChoiceField(label="Domain")
    respondent = forms.TypedChoiceField(coerce=int, label="Member")
    due_date = forms.DateField(
        required=False,
        label="Due date (optional)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        domains: list[tuple[str, str]],
        members: list[tuple[int, str]],
    ) -> None:
        super().__init__(data)
        domain = self.fields["domain"]
        respondent = self.fields["respondent"]
        assert isinstance(domain, forms.ChoiceField)
        assert isinstance(respondent, forms.ChoiceField)
        domain.choices = domains
        respondent.choices = [("", "Choose a member"), *members]

    def clean_due_date(self) -> datetime.date | None:
        due: datetime.date | None = self.cleaned_data.get("due_date")
        if due is not None and not EARLIEST_DUE <= due <= LATEST_DUE:
            raise forms.ValidationError("Enter a date between 2000 and 2100.")
        return due


class RemoveForm(forms.Form):
    remove = forms.IntegerField(min_value=1, max_value=2**62)


class ReminderForm(forms.Form):
    enabled = forms.BooleanField(
        required=False,
        label="E-mail me each morning about assigned domains due within 3 days or overdue",
    )
