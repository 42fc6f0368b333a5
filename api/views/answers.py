"""Answers: read every question's answer; write one or many with the revision each was
based on. Writes go through the questionnaire's own form (QuestionnaireForm: options, N/A,
lengths) and answers_save (audited, stale writes refused), as the questionnaire page does;
a write based on an older revision than the stored one is a 409 carrying the current answer.

In independent mode the reads follow the blind rule (respondents/blind.py): the consensus
answers of a domain the asker still answers are left out of the list (as the JSON export leaves
them out) and a single read of one is a 403, until they mark their part done."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.problems import conflict_problem, validation_problem
from api.serializers.answers import (
    AnswerSerializer,
    AnswersSavedSerializer,
    AnswersWriteSerializer,
    AnswerWriteSerializer,
)
from assessments import access
from assessments.content import InstrumentContent, instrument_content
from assessments.forms import QuestionnaireForm
from assessments.models import Answer, Assessment, Membership, Question
from assessments.services import AssessmentLocked, SaveOutcome, answers_save

CONFLICT_DETAIL = (
    "Someone else changed {n} answer(s) after the revision your write was based on; those "
    "were not saved (the others were). Each one's current answer is in `conflicts`: send "
    "yours again with its current revision to replace it."
)


def answer_row(question: Question, number: str, answer: Answer | None) -> dict[str, Any]:
    return {
        "question": question,
        "number": number,
        "value": answer.value if answer else "",
        "comment": answer.comment if answer else "",
        "evidence": answer.evidence if answer else "",
        "revision": answer.revision if answer else 0,
        "answered_by": answer.answered_by if answer else None,
        "answered_at": answer.answered_at if answer else None,
        "carried_over": answer.carried_over if answer else False,
    }


def stored_answers(assessment: Assessment, questions: list[Question]) -> dict[int, Answer]:
    rows = Answer.objects.filter(assessment=assessment).select_related("answered_by")
    if len(questions) < 50:
        rows = rows.filter(question_id__in=[q.pk for q in questions])
    return {answer.question_id: answer for answer in rows}


def rows_of(
    assessment: Assessment, content: InstrumentContent, questions: list[Question]
) -> list[dict[str, Any]]:
    stored = stored_answers(assessment, questions)
    return [answer_row(q, content.numbers[q.key], stored.get(q.pk)) for q in questions]


def checked_questions(
    content: InstrumentContent, items: list[dict[str, Any]], names: list[str], domain_key: str = ""
) -> list[Question]:
    """The questions `items` name, each once (and of `domain_key` when given), or a 400."""
    errors: dict[str, list[str]] = {}
    questions: list[Question] = []
    for item, name in zip(items, names, strict=True):
        question = content.by_key.get(item["question"])
        if question is None:
            errors[f"{name}question"] = ["This questionnaire has no such question."]
        elif question in questions:
            errors[f"{name}question"] = ["This question is named twice."]
        elif domain_key and question.domain.key != domain_key:
            errors[f"{name}question"] = ["Not a question of this domain."]
        else:
            questions.append(question)
    if errors:
        raise validation_problem(errors)
    return questions


def checked_form(
    form_class: Any,
    questions: list[Question],
    items: list[dict[str, Any]],
    names: list[str],
    stored: dict[int, Any],
    **kwargs: Any,
) -> Any:
    """The page's form (QuestionnaireForm, or the consensus page's) bound to the items as the
    page posts them, valid, or a 400 naming each bad field of each item. A comment, evidence
    note or note left out keeps its stored text."""
    data: dict[str, str] = {}
    for item, question in zip(items, questions, strict=True):
        current = stored.get(question.pk)
        key = question.key
        data[key] = item["value"]
        data[f"{key}--comment"] = item.get("comment", current.comment if current else "")
        data[f"{key}--evidence"] = item.get("evidence", current.evidence if current else "")
        data[f"{key}--rev"] = str(item["revision"])
        if "note" in item:
            data[f"{key}--note"] = item["note"]
    form = form_class(data, questions=tuple(questions), answers={}, **kwargs)
    if not form.is_valid():
        where = {q.key: name for q, name in zip(questions, names, strict=True)}
        problems: dict[str, list[str]] = {}
        for field, messages in form.errors.items():
            key, _, part = field.partition("--")
            problems[f"{where.get(key, '')}{part or 'value'}"] = [str(m) for m in messages]
        raise validation_problem(problems)
    return form


def refuse_locked(assessment: Assessment) -> None:
    if not assessment.is_editable:
        raise conflict_problem(
            "This assessment has been submitted and is read-only. Nothing was changed.",
            kind="locked",
        )


def conflicts_problem(
    outcome: SaveOutcome, rows: list[dict[str, Any]], single: bool, serializer: Any
) -> Exception:
    """The 409 of a write that met newer answers: each one's current answer, and the saved."""
    by_key = {row["question"].key: row for row in rows}
    conflicts = {
        key: {"yours": conflict.mine, "current": serializer(by_key[key]).data}
        for key, conflict in outcome.conflicts.items()
    }
    extra = {"current": next(iter(conflicts.values()))["current"]} if single else {}
    return conflict_problem(
        CONFLICT_DETAIL.format(n=len(outcome.conflicts)),
        conflicts=conflicts,
        **extra,
        saved=serializer([r for r in rows if r["question"].key in outcome.saved], many=True).data,
    )


def write_answers(
    *,
    assessment: Assessment,
    membership: Membership,
    user: Any,
    items: list[dict[str, Any]],
    names: list[str],
) -> list[dict[str, Any]]:
    """Save `items` ({question, value, comment?, evidence?, revision}); `names` are how the
    request names each item (for the errors). Returns the named answers as stored now."""
    # Imported here: respondents builds on assessments (as in assessments/questionnaire_views.py).
    from respondents.independent import is_independent

    refuse_locked(assessment)
    if is_independent(assessment):
        # The blind rule: respondents answer on their own, the coordinator sets the consensus.
        raise conflict_problem(
            "This assessment is answered independently: respondents write their own answers "
            "(respondent-answers/), its coordinators the consensus (consensus/).",
            kind="independent-mode",
        )
    content = instrument_content(assessment.instrument)
    questions = checked_questions(content, items, names)
    for domain_key in dict.fromkeys(q.domain.key for q in questions):
        if not access.may_edit_domain(membership, assessment, domain_key):
            raise PermissionDenied
    form = checked_form(
        QuestionnaireForm, questions, items, names, stored_answers(assessment, questions)
    )
    try:
        outcome = answers_save(assessment=assessment, user=user, changes=form.changes())
    except AssessmentLocked as locked:
        raise conflict_problem(
            str(locked) or "This assessment has been submitted. Nothing was changed.",
            kind="locked",
        ) from locked
    rows = rows_of(assessment, content, questions)
    if outcome.conflicts:
        raise conflicts_problem(outcome, rows, len(items) == 1, AnswerSerializer)
    return rows


HIDDEN_DETAIL = (
    "Hidden while you answer this domain: its consensus answers are shown once you mark your "
    "part done."
)


def consensus_questions(
    assessment: Assessment, user_id: int, questions: list[Question]
) -> list[Question]:
    """The questions whose consensus answer the asker may read: the blind rule leaves out
    those of the domains they still answer (one query for the assignments, independent mode
    only)."""
    # Imported here: respondents builds on assessments (as in write_answers).
    from respondents.blind import blind_rule

    blind = blind_rule(assessment, viewer_id=user_id)
    if blind is None:
        return questions
    return [q for q in questions if blind.shows_consensus(q.domain.key)]


def _editable_assessment(user_id: int, pk: int) -> tuple[Assessment, Membership]:
    # "view": who may write which domain is decided per domain (assignments, issue 15).
    return access.get_assessment_for_user(user_id, pk)


class AnswerListView(ApiView):
    @extend_schema(
        parameters=[OpenApiParameter("domain", str, description="Only this domain's questions.")],
        responses=AnswerSerializer(many=True),
        summary="Every question's answer (revision 0 where it has none yet)",
        description="In independent mode the answers of a domain the asker still answers are "
        "left out, until they mark their part done.",
    )
    def get(self, request: Request, pk: int) -> Response:
        assessment, _ = access.get_assessment_for_user(self.user_id, pk)
        content = instrument_content(assessment.instrument)
        questions = list(content.questions)
        domain = request.query_params.get("domain")
        if domain is not None:
            if content.domain(domain) is None:
                raise validation_problem({"domain": ["This questionnaire has no such domain."]})
            questions = list(content.questions_of(domain))
        questions = consensus_questions(assessment, self.user_id, questions)
        page = self.paginate_queryset(questions)
        rows = rows_of(assessment, content, list(page or []))
        return self.get_paginated_response(AnswerSerializer(rows, many=True).data)

    @extend_schema(
        request=AnswersWriteSerializer,
        responses={
            200: AnswersSavedSerializer,
            409: OpenApiResponse(
                description="Some answers changed since the revision they were based on "
                "(`conflicts`: each one's current answer; `saved`: the others), or the "
                "assessment is submitted."
            ),
        },
        summary="Write several answers, each with the revision it was based on",
    )
    def post(self, request: Request, pk: int) -> Response:
        given = AnswersWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        items = given.validated_data["answers"]
        assessment, membership = _editable_assessment(self.user_id, pk)
        rows = write_answers(
            assessment=assessment,
            membership=membership,
            user=request.user,
            items=items,
            names=[f"answers[{i}]." for i in range(len(items))],
        )
        return Response({"answers": AnswerSerializer(rows, many=True).data})


class AnswerDetailView(ApiView):
    def _question(self, assessment: Assessment, key: str) -> tuple[InstrumentContent, Question]:
        content = instrument_content(assessment.instrument)
        question = content.by_key.get(key)
        if question is None:
            raise Http404
        return content, question

    @extend_schema(
        responses={
            200: AnswerSerializer,
            403: OpenApiResponse(
                description="Independent mode: the asker still answers this question's "
                "domain, whose consensus answers are hidden until they mark their part done."
            ),
        },
        summary="One question's answer",
    )
    def get(self, request: Request, pk: int, key: str) -> Response:
        assessment, _ = access.get_assessment_for_user(self.user_id, pk)
        content, question = self._question(assessment, key)
        if not consensus_questions(assessment, self.user_id, [question]):
            raise PermissionDenied(HIDDEN_DETAIL)
        return Response(AnswerSerializer(rows_of(assessment, content, [question])[0]).data)

    @extend_schema(
        request=AnswerWriteSerializer,
        responses={
            200: AnswerSerializer,
            409: OpenApiResponse(
                description="Changed since that revision: `conflicts` holds the current answer."
            ),
        },
        summary="Write one answer, based on the revision given",
    )
    def put(self, request: Request, pk: int, key: str) -> Response:
        given = AnswerWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        assessment, membership = _editable_assessment(self.user_id, pk)
        self._question(assessment, key)
        rows = write_answers(
            assessment=assessment,
            membership=membership,
            user=request.user,
            items=[{**given.validated_data, "question": key}],
            names=[""],
        )
        return Response(AnswerSerializer(rows[0]).data)
