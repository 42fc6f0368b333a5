"""Independent answers in the assessment file (issue 15): "mode", "respondents" (each
respondent's assignments and own answers) and "consensus_notes", written by
assessments/transfer_export.py and read by assessments/transfer.py through this module.

    "mode": "independent",
    "respondents": [{"email": "lee@clinic.example", "name": "Lee Park", "role": "viewer",
                     "domains": {"ethics": {"done_at": "2026-03-02T10:00:00+00:00",
                                            "removed": false, "due_date": null}},
                     "answers": {"ethics.q01": {"value": "2", "comment": "", "evidence": ""}}}],
    "consensus_notes": {"ethics.q01": "The committee exists but keeps no minutes."}

Blind rule: an export made for a person leaves out every answer `respondent_answers_visible`
does not show them (another respondent's before that one marked the domain done, and any
other respondent's to a domain the person still answers), and the consensus notes of the
domains they still answer. `manage.py export_assessment` (the server's operator) writes all.

Import: each respondent is matched by e-mail (case-insensitively) to a member of the
organisation the assessment goes into who can see its site; a file naming anyone else is
refused with the key (`respondents[0].email`), so an import into a new organisation cannot
carry respondents. Roles and names in the file are informative: members keep their own.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User

from assessments import access
from assessments.assessment_format import (
    MAX_RESPONDENTS,
    RespondentAnswerFormat,
    RespondentDomainFormat,
    RespondentFormat,
)
from assessments.content import InstrumentContent, instrument_content
from assessments.display import display_name
from assessments.models import Assessment, Instrument, Membership, Organisation, Question, Site
from assessments.transfer_checks import AssessmentFileChecker, _field_reason, show
from assessments.value_text import JSON_WORDS, clip, kind_of
from respondents.independent import is_independent, respondent_answers_visible
from respondents.models import (
    Assignment,
    AssignmentEvent,
    ConsensusNote,
    IndependentAnswering,
    RespondentAnswer,
)

SINGLE = {"mode": "single", "respondents": [], "consensus_notes": {}}


def _moment(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(datetime.UTC).isoformat(timespec="seconds")


# --- export ---------------------------------------------------------------------------------


def respondents_export(assessment: Assessment, *, viewer: User | None) -> dict[str, Any]:
    """The file's "mode", "respondents" and "consensus_notes", as `viewer` may see them
    (None: everything, for the server's operator)."""
    if not is_independent(assessment):
        return dict(SINGLE)
    content = instrument_content(assessment.instrument)
    assignments = list(
        Assignment.objects.filter(assessment_id=assessment.pk).select_related("user").order_by("pk")
    )
    roles = dict(
        Membership.objects.filter(
            organisation_id=assessment.site.organisation_id,
            user_id__in={a.user_id for a in assignments},
        ).values_list("user_id", "role")
    )
    still_answering: set[str] = set()
    shown: set[int] | None = None  # the answers the viewer may see; None: all
    if viewer is not None:
        still_answering = {
            a.domain_key
            for a in assignments
            if a.user_id == viewer.pk and a.removed_at is None and a.done_at is None
        }
        shown = {
            answer.pk
            for view in respondent_answers_visible(assessment=assessment, viewer=viewer)
            for answer in view.answers.values()
        }
    domain_order = {d.key: i for i, d in enumerate(content.domains)}
    people: dict[int, dict[str, Any]] = {}
    for a in assignments:
        entry = people.setdefault(
            a.user_id,
            {
                "email": a.user.email,
                "name": display_name(a.user),
                "role": roles.get(a.user_id, ""),
                "domains": {},
                "answers": {},
            },
        )
        entry["domains"][a.domain_key] = {
            "done_at": _moment(a.done_at),
            "removed": a.removed_at is not None,
            "due_date": a.due_date.isoformat() if a.due_date else None,
        }
    for entry in people.values():
        entry["domains"] = dict(
            sorted(entry["domains"].items(), key=lambda item: domain_order.get(item[0], 999))
        )
    question_order = {q.pk: i for i, q in enumerate(content.questions)}
    keys = {q.pk: q.key for q in content.questions}
    for answer in sorted(
        RespondentAnswer.objects.filter(assessment_id=assessment.pk),
        key=lambda a: (a.user_id, question_order.get(a.question_id, 0)),
    ):
        if shown is not None and answer.pk not in shown:
            continue
        if answer.user_id not in people or not (answer.value or answer.comment or answer.evidence):
            continue
        people[answer.user_id]["answers"][keys[answer.question_id]] = answer.snapshot()
    domain_of = {q.pk: q.domain.key for q in content.questions}
    notes = {
        keys[note.question_id]: note.note
        for note in sorted(
            ConsensusNote.objects.filter(assessment_id=assessment.pk).exclude(note=""),
            key=lambda n: question_order.get(n.question_id, 0),
        )
        if note.question_id in keys and domain_of[note.question_id] not in still_answering
    }
    return {"mode": "independent", "respondents": list(people.values()), "consensus_notes": notes}


# --- import: checks -------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidRespondent:
    user: User
    domains: dict[str, RespondentDomainFormat]
    answers: tuple[tuple[Question, RespondentAnswerFormat], ...]


@dataclass(frozen=True)
class ValidIndependent:
    """The independent answers of a checked file: nothing in it can fail on the way in."""

    respondents: tuple[ValidRespondent, ...]
    notes: tuple[tuple[Question, str], ...]


def _kind(raw: Any) -> str:
    return kind_of(raw, JSON_WORDS)


class _RespondentsChecker:
    """Words the format's errors about the new keys, and adds what the database knows."""

    def __init__(
        self,
        check: AssessmentFileChecker,
        content: InstrumentContent | None,
        organisation: Organisation | None,
        site: Site | None,
    ) -> None:
        self.check, self.content = check, content
        self.organisation, self.site = organisation, site
        self.errors = check.errors

    def bad(self, *loc: str | int) -> bool:
        return any(found[: len(loc)] == loc for found in self.errors)

    def fields(self, loc: tuple[str | int, ...], where: str, model: Any, raw: Any) -> bool:
        """Word the errors of one object of `model` at `loc`; False when it has any."""
        error = self.errors.get(loc)
        if error is not None:
            if error["type"] == "missing":
                self.check.add(where, "is missing")
            else:
                names = ", ".join(model.model_fields)
                self.check.add(where, f"must be an object with {names}, not {_kind(raw)}")
            return False
        for name in raw:
            found = self.errors.get((*loc, name))
            if found is not None and found["type"] == "extra_forbidden":
                names = ", ".join(model.model_fields)
                self.check.add(f"{where}.{clip(str(name))}", f"is not a field here ({names})")
        for name, field in model.model_fields.items():
            found = self.errors.get((*loc, name))
            if found is None:
                continue  # the items of "domains" and "answers" are worded where they are read
            if name == "done_at":
                reason = (
                    "must be a date and time in ISO 8601 (e.g. 2026-03-01T09:30:00+00:00) or "
                    f"null, not {show(found['input'])}"
                )
            elif name == "due_date":
                reason = f"must be a date written YYYY-MM-DD or null, not {show(found['input'])}"
            elif name in ("domains", "answers"):
                if found["type"] == "missing":
                    reason = f"is missing (an object of {name[:-1]} key: …)"
                elif found["type"] == "too_short":
                    reason = "must name at least one domain"
                else:
                    reason = f"must be an object of {name[:-1]} key: …, not {_kind(found['input'])}"
            else:
                reason = _field_reason(field, found)
            self.check.add(f"{where}.{name}", reason)
        return not self.bad(*loc)

    def member(self, email: str, where: str) -> User | None:
        if self.organisation is None:
            self.check.add(
                where,
                f"{show(email)}: the organisation is created by this import, so it has no "
                "members to match; import into an existing organisation, or leave out "
                '"respondents"',
            )
            return None
        found = list(
            Membership.objects.filter(
                organisation=self.organisation, user__email__iexact=email.strip()
            ).select_related("user")
        )
        if not found:
            self.check.add(
                where,
                f"no member of {self.organisation.name} has the e-mail {show(email)}; add them "
                "to the organisation first, or leave this respondent out",
            )
            return None
        if len(found) > 1:
            self.check.add(
                where, f"several members of {self.organisation.name} share {show(email)}"
            )
            return None
        membership = found[0]
        # Only members who can see the site are assigned (as in the app): a site admin of
        # other sites cannot.
        if membership.role == Membership.Role.SITE_ADMIN and (
            self.site is None
            or not access.may_be_assigned(
                membership, self.site.pk, access.site_admin_site_ids(membership)
            )
        ):
            self.check.add(
                where,
                f"{show(email)} is a site admin of other sites: only members who can see this "
                "site can answer it",
            )
            return None
        return membership.user

    def respondent(self, index: int, raw: Any, seen: dict[int, int]) -> ValidRespondent | None:
        loc: tuple[str | int, ...] = ("respondents", index)
        where = f"respondents[{index}]"
        # Every problem is named at once: the fields, then what the database says.
        self.fields(loc, where, RespondentFormat, raw if isinstance(raw, dict) else {})
        if not isinstance(raw, dict):
            return None
        user = None
        if not self.bad(*loc, "email"):
            user = self.member(raw["email"], f"{where}.email")
            if user is not None and user.pk in seen:
                self.check.add(
                    f"{where}.email", f"appears twice (also respondents[{seen[user.pk]}])"
                )
                user = None
            elif user is not None:
                seen[user.pk] = index
        domains = self.domains(loc, where, raw.get("domains"))
        answers = self.answers(loc, where, raw.get("answers", {}), domains)
        if user is None or domains is None or answers is None or self.bad(*loc):
            return None
        return ValidRespondent(user=user, domains=domains, answers=answers)

    def domains(
        self, loc: tuple[str | int, ...], where: str, raw: Any
    ) -> dict[str, RespondentDomainFormat] | None:
        if not isinstance(raw, dict):
            return None
        valid: dict[str, RespondentDomainFormat] = {}
        order = {d.key: i for i, d in enumerate(self.content.domains)} if self.content else {}
        for key, entry in raw.items():
            here = f"{where}.domains.{clip(str(key), 80)}"
            if self.content is not None and key not in order:
                self.check.add(
                    here, f"is not a domain of this instrument (domains: {', '.join(order)})"
                )
                continue
            item = entry if isinstance(entry, dict) else {}
            if self.fields((*loc, "domains", key), here, RespondentDomainFormat, item):
                valid[key] = RespondentDomainFormat.model_validate(entry)
        if len(valid) != len(raw):
            return None
        return dict(sorted(valid.items(), key=lambda item: order.get(item[0], 0)))

    def answers(
        self,
        loc: tuple[str | int, ...],
        where: str,
        raw: Any,
        domains: Mapping[str, Any] | None,
    ) -> tuple[tuple[Question, RespondentAnswerFormat], ...] | None:
        if not isinstance(raw, dict):
            return None
        questions = self.content.by_key if self.content else None
        valid: list[tuple[Question, RespondentAnswerFormat]] = []
        ok = True
        for key, entry in raw.items():
            here = f"{where}.answers.{clip(str(key), 130)}"
            question = questions.get(key) if questions is not None else None
            if questions is not None and question is None:
                self.check.add(here, "is not a question of this instrument")
                ok = False
                continue
            if question is not None and domains is not None and question.domain.key not in domains:
                self.check.add(
                    here,
                    f"is in {question.domain.key}, not a domain of this respondent "
                    f"(domains: {', '.join(domains)})",
                )
                ok = False
                continue
            item = entry if isinstance(entry, dict) else {}
            if not self.fields((*loc, "answers", key), here, RespondentAnswerFormat, item):
                ok = False
                continue
            if question is None:
                continue
            answer = RespondentAnswerFormat.model_validate(entry)
            allowed = not (answer.value and question.scored) or self.check.option_allowed(
                question, answer.value, here
            )
            if not allowed:
                ok = False
                continue
            if answer.value or answer.comment or answer.evidence:
                valid.append((question, answer))
        if not ok:
            return None
        order = {q.key: i for i, q in enumerate(self.content.questions)} if self.content else {}
        return tuple(sorted(valid, key=lambda pair: order.get(pair[0].key, 0)))

    def notes(self, raw: Any) -> tuple[tuple[Question, str], ...]:
        questions = self.content.by_key if self.content else None
        valid: list[tuple[Question, str]] = []
        for key, note in raw.items():
            here = f"consensus_notes.{clip(str(key), 130)}"
            question = questions.get(key) if questions is not None else None
            if questions is not None and question is None:
                self.check.add(here, "is not a question of this instrument")
                continue
            found = self.errors.get(("consensus_notes", key))
            if found is not None:
                field = RespondentAnswerFormat.model_fields["comment"]
                self.check.add(here, _field_reason(field, found))
                continue
            if question is not None and note:
                valid.append((question, note))
        return tuple(valid)


def respondents_check(
    check: AssessmentFileChecker,
    *,
    instrument: Instrument | None,
    organisation: Organisation | None,
    site: Site | None,
) -> ValidIndependent | None:
    """Read "mode", "respondents" and "consensus_notes" of a parsed file, adding every problem
    to `check` (key: reason); None for the single-answer mode or when something is wrong."""
    data = check.data
    content = instrument_content(instrument) if instrument is not None else None
    reader = _RespondentsChecker(check, content, organisation, site)
    mode = data.get("mode", "single")
    if ("mode",) in check.errors:
        check.add("mode", f'must be "single" or "independent", not {show(mode)}')
        return None
    respondents = data.get("respondents", [])
    notes = data.get("consensus_notes", {})
    if ("respondents",) in check.errors:
        if isinstance(respondents, list):
            reason = f"may list at most {MAX_RESPONDENTS} respondents, not {len(respondents)}"
        else:
            reason = f"must be a list of respondents, not {_kind(respondents)}"
        check.add("respondents", reason)
        respondents = []
    if ("consensus_notes",) in check.errors:
        check.add("consensus_notes", f"must be an object of question key: note, not {_kind(notes)}")
        notes = {}
    if mode == "single":
        for key, given in (("respondents", respondents), ("consensus_notes", notes)):
            if given:
                check.add(
                    key,
                    'only an assessment answered in independent mode ("mode": "independent") '
                    "has respondents' own answers and consensus notes",
                )
        return None
    seen: dict[int, int] = {}
    valid = [reader.respondent(i, raw, seen) for i, raw in enumerate(respondents)]
    checked_notes = reader.notes(notes)
    if any(r is None for r in valid):
        return None
    return ValidIndependent(
        respondents=tuple(r for r in valid if r is not None), notes=checked_notes
    )


# --- import: the write ----------------------------------------------------------------------


def _when(text: str | None) -> datetime.datetime | None:
    if text is None:
        return None
    moment = datetime.datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def respondents_import(
    *, assessment: Assessment, valid: ValidIndependent, user: User | None, now: datetime.datetime
) -> None:
    """Write the checked independent answers of a new assessment (inside the import's
    transaction): the mode, each assignment (marked removed or done as the file says), each
    respondent's own answers and the consensus notes, and an audit event saying so."""
    IndependentAnswering.objects.create(assessment=assessment, set_by=user, set_at=now)
    Assignment.objects.bulk_create(
        Assignment(
            assessment=assessment,
            domain_key=key,
            user=r.user,
            due_date=datetime.date.fromisoformat(d.due_date) if d.due_date else None,
            assigned_by=user,
            created_at=now,
            removed_at=now if d.removed else None,
            done_at=_when(d.done_at),
        )
        for r in valid.respondents
        for key, d in r.domains.items()
    )
    RespondentAnswer.objects.bulk_create(
        RespondentAnswer(
            assessment=assessment,
            question=question,
            user=r.user,
            value=answer.value,
            comment=answer.comment,
            evidence=answer.evidence,
            answered_at=now,
        )
        for r in valid.respondents
        for question, answer in r.answers
    )
    ConsensusNote.objects.bulk_create(
        ConsensusNote(assessment=assessment, question=question, note=note, set_by=user, set_at=now)
        for question, note in valid.notes
    )
    AssignmentEvent.objects.create(
        assessment=assessment,
        domain_key="",
        user=user,
        at=now,
        action=AssignmentEvent.Action.MODE,
        detail={"independent": True, "imported": True, "respondents": len(valid.respondents)},
    )
