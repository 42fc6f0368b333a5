"""Forms of the assessment itself: starting one, the questionnaire, targets, the next round,
moving a draft to a newer version and importing the assessment JSON.

The organisation admin screens' forms are in admin_forms.py."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils import dateformat, timezone
from django.utils.html import format_html

from assessments.display import display_name, file_size
from assessments.models import Answer, Assessment, Instrument, Question
from assessments.rounds import suggest_round_label
from assessments.scoring import NA
from assessments.services import (
    MAX_TEXT,
    AnswerChange,
    Conflict,
    assessment_round_taken,
    round_taken_message,
    snapshot_hash,
)
from assessments.transfer import TransferError, parse_assessment_json

# The largest id a database column holds: a bigger posted id must be a form error, not an
# OverflowError from the database driver.
MAX_ID = 2**63 - 1


def _fits_id(value: Any) -> bool:
    try:
        return abs(int(str(value))) <= MAX_ID
    except ValueError:
        return True  # not a number: Django's own validation says so


class IdModelChoiceField(forms.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not _fits_id(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        for item in value:
            if not _fits_id(item):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(item)[:20]},
                )
        return super()._check_values(value)  # type: ignore[misc]


class AssessmentCreateForm(forms.Form):
    instrument = IdModelChoiceField(queryset=Instrument.objects.none(), empty_label=None)
    round_label = forms.CharField(
        label="Round",
        max_length=100,
        help_text='A name for this round of assessment, e.g. "2026 spring".',
    )
    round_date = forms.DateField(
        label="Round date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The date the round refers to; rounds are ordered by it.",
    )

    carry_over = forms.BooleanField(
        required=False,
        initial=True,
        label="Carry over the answers of the latest submitted round",
    )

    def __init__(
        self,
        *args: Any,
        instruments: Any,
        previous_rounds: dict[str, Assessment] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["instrument"]
        assert isinstance(field, IdModelChoiceField)
        field.queryset = instruments
        field.label_from_instance = lambda i: f"{i.title} (version {i.version})"  # type: ignore[method-assign,assignment]
        # Offered only where the site has a submitted round to carry from (any version).
        if previous_rounds:
            rounds = "; ".join(
                f"{a.instrument.title}: {a.round_label}" for a in previous_rounds.values()
            )
            # crispy-forms renders help text unescaped: round labels are user input.
            self.fields["carry_over"].help_text = format_html(
                "Starts from the latest submitted round of the same questionnaire ({}), "
                "each answer marked until confirmed, and links the two rounds. Answers to "
                "questions that changed are left out.",
                rounds,
            )
        else:
            del self.fields["carry_over"]
        if not self.is_bound:
            today = timezone.localdate()
            season = "spring" if today.month <= 6 else "autumn"
            self.initial.setdefault("round_label", f"{today.year} {season}")
            self.initial.setdefault("round_date", today)

    def clean_round_label(self) -> str:
        label = self.cleaned_data["round_label"].strip()
        if not label:
            raise forms.ValidationError("Give the round a name.")
        return label

    def clean_round_date(self) -> datetime.date:
        date = self.cleaned_data["round_date"]
        if date.year < 2000 or date > timezone.localdate() + datetime.timedelta(days=366):
            raise forms.ValidationError("Choose a date between 2000 and a year from now.")
        return date


class QuestionnaireForm(forms.Form):
    """The questions of one domain: for each, its answer, a comment and an evidence note.

    Field names are "<key>", "<key>--comment", "<key>--evidence", plus hidden
    "<key>--rev" (the answer revision the page showed), "<key>--base" (a fingerprint of
    the answer the page showed) and "<key>--resolve" after a conflict.
    """

    def __init__(
        self,
        *args: Any,
        questions: tuple[Question, ...],
        answers: dict[int, Answer],
        conflicts: dict[str, Conflict] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.conflicts = conflicts or {}
        for question in questions:
            answer = answers.get(question.pk)
            key = question.key
            conflict = self.conflicts.get(key)
            if question.type == Question.Type.TEXT:
                field: forms.Field = forms.CharField(
                    required=False,
                    max_length=MAX_TEXT,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
            else:
                choices = [(o["value"], o["label"]) for o in question.options]
                if question.allow_na:
                    choices.append((NA, "Not applicable"))
                field = forms.ChoiceField(
                    required=False,
                    choices=choices,
                    widget=forms.RadioSelect,
                    error_messages={
                        "invalid_choice": "Choose one of the listed answers%s."
                        % (" or Not applicable" if question.allow_na else "")
                    },
                )
            field.label = question.text
            field.help_text = question.help
            self.fields[key] = field
            self.fields[f"{key}--comment"] = forms.CharField(
                label="Comment",
                required=False,
                max_length=MAX_TEXT,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"{key}--evidence"] = forms.CharField(
                label="Evidence note",
                required=False,
                max_length=MAX_TEXT,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Where the proof lives: a policy, a contract, a training log…",
            )
            self.fields[f"{key}--rev"] = forms.IntegerField(
                required=False,
                min_value=0,
                widget=forms.HiddenInput,
                error_messages={
                    "invalid": "This answer was not saved: the page is out of date. Reload it.",
                    "min_value": "This answer was not saved: the page is out of date. Reload it.",
                },
            )
            self.fields[f"{key}--base"] = forms.CharField(
                required=False, max_length=64, widget=forms.HiddenInput
            )
            if conflict is not None or (self.is_bound and f"{key}--conflict" in self.data):
                # Shown after a save met someone else's newer answer: the person must choose.
                self.fields[f"{key}--resolve"] = forms.ChoiceField(
                    label="Which answer should stay?",
                    required=False,
                    choices=[("theirs", "Keep their answer"), ("mine", "Replace it with mine")],
                    widget=forms.RadioSelect,
                )
            value = answer.value if answer else ""
            comment = answer.comment if answer else ""
            evidence = answer.evidence if answer else ""
            if not self.is_bound:
                self.initial.setdefault(key, value)
                self.initial.setdefault(f"{key}--comment", comment)
                self.initial.setdefault(f"{key}--evidence", evidence)
            # After a conflict the page is based on their answer: saving again with
            # "mine" then overwrites knowingly.
            self.initial[f"{key}--rev"] = answer.revision if answer else 0
            self.initial[f"{key}--base"] = snapshot_hash(value, comment, evidence)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for question in self.questions:
            resolve = f"{question.key}--resolve"
            if f"{question.key}--conflict" in self.data and not cleaned.get(resolve):
                self.add_error(resolve, "Choose which answer should stay.")
        return cleaned

    def changes(self) -> list[AnswerChange]:
        """The posted questions that passed validation, as changes for answers_save."""
        result = []
        for question in self.questions:
            key = question.key
            if f"{key}--rev" not in self.data:
                continue  # not on the posted page (autosave posts one question)
            names = (
                key,
                f"{key}--comment",
                f"{key}--evidence",
                f"{key}--rev",
                f"{key}--base",
                f"{key}--resolve",
            )
            if any(name in self.errors for name in names):
                continue  # shown again with its error; the other questions are saved
            data = self.cleaned_data
            result.append(
                AnswerChange(
                    key=key,
                    value=(data.get(key) or "").strip(),
                    comment=(data.get(f"{key}--comment") or "").strip(),
                    evidence=(data.get(f"{key}--evidence") or "").strip(),
                    base_revision=data.get(f"{key}--rev") or 0,
                    base_hash=data.get(f"{key}--base") or None,
                    resolution=data.get(f"{key}--resolve") or "",
                )
            )
        return result


# The names a question's fields are posted under, after its key (see QuestionnaireForm).
POSTED_PARTS = ("", "--comment", "--evidence", "--rev", "--base", "--resolve", "--conflict")


def posted_questions(data: Any, questions: tuple[Question, ...]) -> tuple[Question, ...]:
    """The questions with a field in `data`: all of a page's, one for an autosave. A form of
    the others would only validate empty fields and change nothing (changes() skips a
    question not posted), and building ~70 fields for one answer was most of an autosave."""
    return tuple(q for q in questions if any(q.key + part in data for part in POSTED_PARTS))


def unresolved_conflicts(
    form: QuestionnaireForm, answers: dict[int, Answer]
) -> dict[str, Conflict]:
    """Conflicts posted back without a choice: show them again with the current answer."""
    conflicts = {}
    for question in form.questions:
        key = question.key
        if f"{key}--resolve" in form.errors:
            answer = answers.get(question.pk)
            conflicts[key] = Conflict(
                key=key,
                mine={
                    "value": form.data.get(key, ""),
                    "comment": form.data.get(f"{key}--comment", ""),
                    "evidence": form.data.get(f"{key}--evidence", ""),
                },
                theirs=answer.snapshot()
                if answer
                else {"value": "", "comment": "", "evidence": ""},
                their_revision=answer.revision if answer else 0,
                their_user=display_name(answer.answered_by if answer else None) or "someone",
                their_at=answer.answered_at if answer else timezone.now(),
            )
    return conflicts


def redisplay_form(
    posted: QuestionnaireForm,
    questions: tuple[Any, ...],
    answers: dict[int, Answer],
    conflicts: dict[str, Conflict],
) -> QuestionnaireForm:
    """The page after a save: what the person typed, on top of the answers now stored."""
    initial = {name: posted.data.get(name) for name in posted.fields if name in posted.data}
    for key, conflict in conflicts.items():
        # Show their answer in the fields; the person's own one is shown in the conflict box.
        initial[key] = conflict.mine["value"]
        initial[f"{key}--comment"] = conflict.mine["comment"]
        initial[f"{key}--evidence"] = conflict.mine["evidence"]
    form = QuestionnaireForm(
        initial=initial, questions=questions, answers=answers, conflicts=conflicts
    )
    form.cleaned_data = {}
    for name, errors in posted.errors.items():
        if name not in form.fields:
            continue
        for error in errors:
            form.add_error(name, error)
    return form


class TargetsForm(forms.Form):
    def __init__(self, *args: Any, domains: Any, current: dict[str, Decimal], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.domain_keys = []
        for domain in domains:
            self.domain_keys.append(domain.key)
            self.fields[domain.key] = forms.DecimalField(
                label=domain.title,
                min_value=Decimal(0),
                max_value=Decimal(100),
                decimal_places=1,
                max_digits=4,
                initial=current[domain.key],
                error_messages={"required": "Give a target between 0 and 100."},
            )

    def targets(self) -> dict[str, Decimal]:
        return {key: self.cleaned_data[key] for key in self.domain_keys}


# --- rounds: the next round and moving a draft to a newer version ------------------------------


class NextRoundForm(forms.Form):
    round_label = forms.CharField(
        label="Round",
        max_length=100,
        help_text='A name for the new round, e.g. "2026 autumn".',
    )
    round_date = forms.DateField(
        label="Round date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The date the new round refers to; it cannot be before the previous round.",
    )
    instrument = forms.TypedChoiceField(
        label="Questionnaire version",
        coerce=int,
        widget=forms.RadioSelect,
        help_text="Answers are carried over by question. New questions start unanswered; "
        "an answer the newer version no longer allows is left behind.",
    )

    def __init__(
        self,
        *args: Any,
        previous: Assessment,
        instruments: list[Instrument],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.previous = previous
        self.instruments = {i.pk: i for i in instruments}
        instrument_field = self.fields["instrument"]
        assert isinstance(instrument_field, forms.ChoiceField)
        instrument_field.choices = [
            (
                i.pk,
                f"Version {i.version}"
                + (" (the previous round's)" if i.pk == previous.instrument_id else " (newer)"),
            )
            for i in instruments
        ]
        if not self.is_bound:
            self.initial.setdefault("round_label", suggest_round_label(previous.round_label))
            self.initial.setdefault("round_date", max(timezone.localdate(), previous.round_date))
            self.initial.setdefault("instrument", previous.instrument_id)

    def clean_round_label(self) -> str:
        label = str(self.cleaned_data["round_label"]).strip()
        if not label:
            raise forms.ValidationError("Give the round a name.")
        # The rule of every form that starts an assessment (and of the database constraint).
        taken = assessment_round_taken(
            site=self.previous.site,
            instrument_slug=self.previous.instrument.slug,
            round_label=label,
        )
        if taken is not None:
            raise forms.ValidationError(round_taken_message(taken, label))
        return label

    def clean_round_date(self) -> datetime.date:
        date: datetime.date = self.cleaned_data["round_date"]
        if date < self.previous.round_date:
            raise forms.ValidationError(
                "The next round cannot be dated before the previous one "
                f"({dateformat.format(self.previous.round_date, 'j M Y')})."
            )
        if date > timezone.localdate() + datetime.timedelta(days=366):
            raise forms.ValidationError("Choose a date at most a year from now.")
        return date

    def clean_instrument(self) -> Instrument:
        pk = self.cleaned_data["instrument"]
        if pk not in self.instruments:
            raise forms.ValidationError("Choose one of the versions listed.")
        return self.instruments[pk]


class MoveVersionForm(forms.Form):
    instrument = forms.TypedChoiceField(
        label="Move to version", coerce=int, widget=forms.RadioSelect
    )
    # The assessment's revision when the plan was shown: a later change makes the move stale.
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)

    def __init__(self, *args: Any, instruments: list[Instrument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instruments = {i.pk: i for i in instruments}
        field = self.fields["instrument"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(i.pk, f"{i.title} {i.version}") for i in instruments]

    def clean_instrument(self) -> Instrument:
        pk = self.cleaned_data["instrument"]
        if pk not in self.instruments:
            raise forms.ValidationError("Choose one of the versions listed.")
        return self.instruments[pk]


# --- the assessment JSON ------------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Assessment file (JSON, or ZIP with evidence)",
        help_text=(
            'A file saved with "Export JSON" or "Export with evidence (ZIP)". The instrument '
            "version it uses must be loaded here."
        ),
        error_messages={"required": "Choose an assessment file to import."},
        widget=forms.FileInput(attrs={"accept": ".json,application/json,.zip,application/zip"}),
    )

    def clean_file(self) -> Any:
        """The parsed JSON of the upload (not yet checked as an assessment); an export with
        evidence (a ZIP) comes back as the upload itself, for evidence.transfer to check."""
        upload = self.cleaned_data["file"]
        if upload.read(4) in (b"PK\x03\x04", b"PK\x05\x06"):
            upload.seek(0)
            limit = settings.EVIDENCE_ZIP_MAX_BYTES
            if upload.size > limit:
                raise forms.ValidationError(
                    f"The ZIP is {file_size(upload.size)}; an export with evidence up to "
                    f"{file_size(limit)} can be imported."
                )
            return upload
        upload.seek(0)
        limit = settings.UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {file_size(upload.size)}; files up to {file_size(limit)} can be imported."
            )
        try:
            return parse_assessment_json(upload.read())
        except TransferError as exc:
            raise forms.ValidationError(exc.lines()) from exc
