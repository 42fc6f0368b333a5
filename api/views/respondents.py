"""Independent answers (issue 15): each respondent's own answers (blind: another's only once
they marked their part done, by respondent_answers_visible), a respondent's writes and "done"
(respondent_answers_save, respondent_domain_done), and the coordinator's consensus
(consensus_save, the consensus page's form and access: "assign")."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.problems import conflict_problem, validation_problem
from api.serializers.respondents import (
    ConsensusAnswerSerializer,
    ConsensusWriteSerializer,
    DomainSerializer,
    OwnAnswerSerializer,
    RespondentSerializer,
    RespondentWriteSerializer,
)
from api.views.answers import (
    checked_form,
    checked_questions,
    conflicts_problem,
    refuse_locked,
    rows_of,
    stored_answers,
)
from assessments import access
from assessments.content import InstrumentContent, instrument_content
from assessments.forms import QuestionnaireForm
from assessments.models import Assessment, Question
from assessments.services import AssessmentLocked
from respondents.forms import ConsensusForm
from respondents.independent import (
    IndependentError,
    consensus_save,
    is_independent,
    respondent_answers_save,
    respondent_answers_visible,
    respondent_domain_done,
)
from respondents.models import Assignment, ConsensusNote, RespondentAnswer


def _independent(assessment: Assessment) -> None:
    if not is_independent(assessment):
        raise conflict_problem(
            "Everyone answers this assessment together: use answers/.", kind="shared-mode"
        )


def _domain(content: InstrumentContent, key: str | None, field: str = "domain") -> str | None:
    if key is not None and content.domain(key) is None:
        raise validation_problem({field: ["This questionnaire has no such domain."]})
    return key


def _own_row(question: Question, number: str, answer: RespondentAnswer | None) -> dict[str, Any]:
    return {
        "question": question,
        "number": number,
        "value": answer.value if answer else "",
        "comment": answer.comment if answer else "",
        "evidence": answer.evidence if answer else "",
        "revision": answer.revision if answer else 0,
        "answered_at": answer.answered_at if answer else None,
    }


def _own(assessment: Assessment, user: Any, questions: list[Question]) -> dict[int, Any]:
    rows = RespondentAnswer.objects.filter(
        assessment=assessment, user=user, question_id__in=[q.pk for q in questions]
    )
    return {row.question_id: row for row in rows}


class RespondentAnswersView(ApiView):
    @extend_schema(
        parameters=[OpenApiParameter("domain", str, description="Only this domain.")],
        responses=RespondentSerializer(many=True),
        summary="Respondents' own answers, as the asker may see them (blind until done)",
    )
    def get(self, request: Request, pk: int) -> Response:
        assessment, _ = access.get_assessment_for_user(self.user_id, pk)
        _independent(assessment)
        content = instrument_content(assessment.instrument)
        domain = _domain(content, request.query_params.get("domain"))
        views = respondent_answers_visible(
            assessment=assessment, viewer=request.user, domain_key=domain
        )
        page = self.paginate_queryset(views)
        rows = []
        for view in page or []:
            answers = sorted(view.answers.values(), key=lambda a: a.question.order)
            rows.append(
                {
                    "user": view.user,
                    "removed": view.removed,
                    "done": view.done,
                    "rows": [
                        _own_row(a.question, content.numbers[a.question.key], a) for a in answers
                    ],
                }
            )
        return self.get_paginated_response(RespondentSerializer(rows, many=True).data)

    @extend_schema(
        request=RespondentWriteSerializer,
        responses=OwnAnswerSerializer(many=True),
        summary="Write my own answers to a domain assigned to me",
    )
    def post(self, request: Request, pk: int) -> Response:
        given = RespondentWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        assessment, _ = access.get_assessment_for_user(self.user_id, pk)
        _independent(assessment)
        refuse_locked(assessment)
        content = instrument_content(assessment.instrument)
        domain = _domain(content, data["domain"]) or ""
        assigned = Assignment.objects.active().filter(
            assessment_id=assessment.pk, domain_key=domain, user_id=self.user_id
        )
        if not assigned.exists():
            raise PermissionDenied("This domain is not assigned to you.")
        items = data["answers"]
        names = [f"answers[{i}]." for i in range(len(items))]
        questions = checked_questions(content, items, names, domain)
        form = checked_form(
            QuestionnaireForm, questions, items, names, _own(assessment, request.user, questions)
        )
        try:
            outcome = respondent_answers_save(
                assessment=assessment, user=request.user, domain_key=domain, changes=form.changes()
            )
        except (IndependentError, AssessmentLocked) as error:
            raise conflict_problem(
                str(error) or "This assessment has been submitted. Nothing was changed.",
                kind="locked",
            ) from error
        own = _own(assessment, request.user, questions)
        rows = [_own_row(q, content.numbers[q.key], own.get(q.pk)) for q in questions]
        if outcome.conflicts:
            raise conflicts_problem(outcome, rows, len(items) == 1, OwnAnswerSerializer)
        return Response(OwnAnswerSerializer(rows, many=True).data)


class RespondentDoneView(ApiView):
    @extend_schema(
        request=DomainSerializer,
        responses={204: None},
        summary="Mark my part of a domain done: from then on others may see my answers",
    )
    def post(self, request: Request, pk: int) -> Response:
        given = DomainSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        assessment, _ = access.get_assessment_for_user(self.user_id, pk)
        _independent(assessment)
        refuse_locked(assessment)
        domain = _domain(instrument_content(assessment.instrument), given.validated_data["domain"])
        try:
            respondent_domain_done(
                assessment=assessment, user=request.user, domain_key=domain or ""
            )
        except IndependentError as error:
            raise PermissionDenied(str(error)) from error
        return Response(status=204)


class ConsensusView(ApiView):
    @extend_schema(
        parameters=[OpenApiParameter("domain", str, required=True)],
        responses=ConsensusAnswerSerializer(many=True),
        summary="The consensus answers of a domain with the coordinator's notes",
    )
    def get(self, request: Request, pk: int) -> Response:
        assessment, _ = access.get_assessment_for_user(self.user_id, pk, "assign")
        _independent(assessment)
        content = instrument_content(assessment.instrument)
        domain = _domain(content, request.query_params.get("domain", ""))
        questions = list(content.questions_of(domain or ""))
        notes = dict(
            ConsensusNote.objects.filter(
                assessment=assessment, question_id__in=[q.pk for q in questions]
            ).values_list("question_id", "note")
        )
        rows = rows_of(assessment, content, questions)
        for row in rows:
            row["note"] = notes.get(row["question"].pk, "")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ConsensusAnswerSerializer(page, many=True).data)

    @extend_schema(
        request=ConsensusWriteSerializer,
        responses=ConsensusAnswerSerializer(many=True),
        summary="Set consensus answers (and notes) of a domain: the answers that score",
    )
    def post(self, request: Request, pk: int) -> Response:
        given = ConsensusWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        assessment, _ = access.get_assessment_for_user(self.user_id, pk, "assign")
        _independent(assessment)
        refuse_locked(assessment)
        content = instrument_content(assessment.instrument)
        domain = _domain(content, data["domain"]) or ""
        items = data["answers"]
        names = [f"answers[{i}]." for i in range(len(items))]
        questions = checked_questions(content, items, names, domain)
        notes = dict(
            ConsensusNote.objects.filter(assessment=assessment).values_list("question__key", "note")
        )
        form = checked_form(
            ConsensusForm,
            questions,
            items,
            names,
            stored_answers(assessment, questions),
            notes=notes,
        )
        try:
            outcome = consensus_save(
                assessment=assessment,
                user=request.user,
                domain_key=domain,
                changes=form.changes(),
                notes=form.notes(),
            )
        except AssessmentLocked as locked:
            raise conflict_problem(
                str(locked) or "This assessment has been submitted. Nothing was changed.",
                kind="locked",
            ) from locked
        rows = rows_of(assessment, content, questions)
        fresh = dict(
            ConsensusNote.objects.filter(assessment=assessment).values_list("question_id", "note")
        )
        for row in rows:
            row["note"] = fresh.get(row["question"].pk, "")
        if outcome.conflicts:
            raise conflicts_problem(outcome, rows, len(items) == 1, ConsensusAnswerSerializer)
        return Response(ConsensusAnswerSerializer(rows, many=True).data)
