from __future__ import annotations

from typing import Any

from django import forms

from assessments.models import Organisation
from offboarding.services import name_matches


class ConfirmDeleteForm(forms.Form):
    name = forms.CharField(
        label="Type the organisation's name to confirm",
        max_length=400,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_name(self) -> str:
        typed: str = self.cleaned_data["name"]
        if not name_matches(self.organisation, typed):
            raise forms.ValidationError(
                "That is not the organisation's name exactly; nothing was deleted."
            )
        return typed
