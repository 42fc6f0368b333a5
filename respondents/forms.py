"""Forms of assignments: assigning a domain to a member, the reminder choice."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

from assessments.forms import QuestionnaireForm
from assessments.services import MAX_TEXT, Conflict

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


class ModeForm(forms.Form):
    mode = forms.ChoiceField(
        label="How respondents answer",
        choices=[
            ("shared", "One shared questionnaire"),
            ("independent", "Independent answers, then a consensus"),
        ],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the two answering modes."},
    )


class ReopenForm(forms.Form):
    reopen = forms.IntegerField(min_value=1, max_value=2**62)


class ConsensusForm(QuestionnaireForm):
    """The consensus answers of one domain: the questionnaire's fields for each question
    (answer, comment, evidence, revision, fingerprint, conflict choice) and the coordinator's
    note, "<key>--note"."""

    def __init__(self, *args: Any, notes: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in self.questions:
            name = f"{question.key}--note"
            self.fields[name] = forms.CharField(
                label="Note on the consensus",
                required=False,
                max_length=MAX_TEXT,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            if not self.is_bound:
                self.initial.setdefault(name, notes.get(question.key, ""))

    def notes(self) -> dict[str, str]:
        """The posted notes that passed validation, by question key."""
        return {
            question.key: (self.cleaned_data.get(f"{question.key}--note") or "").strip()
            for question in self.questions
            # As changes(): only questions of the posted page (which always posts "--rev").
            if f"{question.key}--rev" in self.data
            and f"{question.key}--note" in self.data
            and f"{question.key}--note" not in self.errors
        }

    def redisplay(
        self,
        *,
        answers: dict[int, Any],
        conflicts: dict[str, Conflict],
        notes: dict[str, str],
    ) -> ConsensusForm:
        """The page after a save that needs the coordinator again: what they posted, on the
        answers now stored, with the conflicts to settle (as the questionnaire does)."""
        initial = {name: self.data.get(name) for name in self.fields if name in self.data}
        for key, conflict in conflicts.items():
            initial[key] = conflict.mine["value"]
            initial[f"{key}--comment"] = conflict.mine["comment"]
            initial[f"{key}--evidence"] = conflict.mine["evidence"]
        form = ConsensusForm(
            initial=initial,
            questions=self.questions,
            answers=answers,
            conflicts=conflicts,
            notes=notes,
        )
        form.cleaned_data = {}
        for name, errors in self.errors.items():
            if name in form.fields:
                for error in errors:
                    form.add_error(name, error)
        return form
