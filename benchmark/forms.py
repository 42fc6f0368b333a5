from __future__ import annotations

from django import forms


class ParticipationForm(forms.Form):
    opted_in = forms.TypedChoiceField(
        label="Take part in the anonymous benchmark",
        choices=[("yes", "Yes, contribute our sites' latest submitted results"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
