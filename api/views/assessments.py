"""Assessments: the list with filters, creating one, one with its results, submit, reopen,
targets. The rules are the pages': the site page's form and service create, the submit
page's checks submit, the targets form checks targets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.problems import conflict_problem, form_problem, validation_problem
from api.serializers.assessments import (
    AssessmentCreateSerializer,
    AssessmentDetailSerializer,
    AssessmentSerializer,
    DomainTargetSerializer,
    TargetsWriteSerializer,
)
from assessments import access
from assessments.content import instrument_content
from assessments.forms import AssessmentCreateForm, TargetsForm
from assessments.models import Assessment, Instrument, Membership
from assessments.results import assessment_results
from assessments.rounds import RoundError, assessment_start_round, latest_submitted_rounds
from assessments.services import (
    AssessmentLocked,
    RoundTaken,
    assessment_reopen,
    assessment_set_targets,
    assessment_submit,
)
from reports.services import report_view_log


class AssessmentFilterSerializer(serializers.Serializer):
    organisation = serializers.SlugField(required=False, max_length=80)
    site = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    status = serializers.ChoiceField(required=False, choices=Assessment.Status.choices)
    instrument = serializers.SlugField(
        required=False, max_length=80, help_text="An instrument's slug (every version)."
    )
    round = serializers.CharField(required=False, max_length=100, help_text="A round's label.")


def _targets(assessment: Assessment) -> list[dict[str, Any]]:
    return [
        {
            "key": domain.key,
            "title": domain.title,
            "target": float(assessment.target_for(domain)),
            "own": domain.key in assessment.targets,
        }
        for domain in instrument_content(assessment.instrument).domains
    ]


def detail_data(assessment: Assessment, membership: Membership) -> dict[str, Any]:
    """The assessment with its results, targets and what the asker may do with it."""
    results = assessment_results(assessment)
    editable = assessment.is_editable
    submitted = assessment.status == Assessment.Status.SUBMITTED
    assessment.results_source = results.source  # type: ignore[attr-defined]
    assessment.results_data = results.data  # type: ignore[attr-defined]
    assessment.targets_list = _targets(assessment)  # type: ignore[attr-defined]
    assessment.may = {  # type: ignore[attr-defined]
        "edit": access.allows(membership, "edit") and editable,
        "submit": access.allows(membership, "edit") and editable,
        "reopen": access.allows(membership, "reopen") and submitted,
        "targets": access.allows(membership, "targets"),
        "assign": access.allows(membership, "assign") and editable,
        "plan": access.allows(membership, "plan"),
        "report": access.allows(membership, "report"),
    }
    data: dict[str, Any] = AssessmentDetailSerializer(assessment).data
    return data


class AssessmentListView(ApiView):
    @extend_schema(
        parameters=[AssessmentFilterSerializer],
        responses=AssessmentSerializer(many=True),
        summary="Assessments I can see, newest round first",
    )
    def get(self, request: Request) -> Response:
        filters = AssessmentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        assessments = access.visible_assessments(self.user_id)
        if "organisation" in data:
            membership = access.get_organisation_for_user(self.user_id, data["organisation"])
            assessments = assessments.filter(site__organisation_id=membership.organisation_id)
        if "site" in data:
            assessments = assessments.filter(site_id=data["site"])
        if "status" in data:
            assessments = assessments.filter(status=data["status"])
        if "instrument" in data:
            assessments = assessments.filter(instrument_slug=data["instrument"])
        if "round" in data:
            assessments = assessments.filter(round_label=data["round"])
        assessments = assessments.select_related("site__organisation", "instrument", "created_by")
        return self.page_of(
            assessments.order_by("-round_date", "-created_at", "-pk"), AssessmentSerializer
        )

    @extend_schema(
        request=AssessmentCreateSerializer,
        responses={201: AssessmentDetailSerializer},
        summary="Start an assessment of a site (as its page does)",
    )
    def post(self, request: Request) -> Response:
        given = AssessmentCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        site, membership = access.get_site_for_user(self.user_id, data["site"], "create")
        if site.archived:
            raise conflict_problem(
                "This site is archived: restore it to start an assessment.", kind="archived"
            )
        previous_rounds = latest_submitted_rounds(site.assessments.select_related("instrument"))
        form = AssessmentCreateForm(
            {
                "instrument": str(data["instrument"]),
                "round_label": data["round_label"],
                "round_date": data["round_date"].isoformat(),
                "carry_over": "on" if data["carry_over"] else "",
            },
            instruments=Instrument.objects.filter(
                Q(organisation__isnull=True) | Q(organisation_id=membership.organisation_id)
            ),
            previous_rounds=previous_rounds,
        )
        if not form.is_valid():
            raise form_problem(form)
        cleaned = form.cleaned_data
        previous = previous_rounds.get(cleaned["instrument"].slug)
        try:
            assessment = assessment_start_round(
                site=site,
                instrument=cleaned["instrument"],
                round_label=cleaned["round_label"],
                round_date=cleaned["round_date"],
                user=request.user,
                previous=previous,
                carry_over=previous is not None and bool(cleaned.get("carry_over")),
            )
        except RoundTaken as taken:
            raise validation_problem({"round_label": [str(taken)]}) from taken
        except RoundError as error:
            raise validation_problem({"non_field_errors": [str(error)]}) from error
        assessment, membership = access.get_assessment_for_user(self.user_id, assessment.pk)
        response = Response(detail_data(assessment, membership), status=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(f"{request.path}{assessment.pk}/")
        return response


class AssessmentDetailView(ApiView):
    @extend_schema(
        responses=AssessmentDetailSerializer,
        summary="One assessment with its results (stored once submitted, else live)",
    )
    def get(self, request: Request, pk: int) -> Response:
        assessment, membership = access.get_assessment_for_user(self.user_id, pk, "report")
        # The results are read as on the results page, and recorded as such.
        report_view_log(assessment=assessment, user_id=self.user_id, subject="results")
        return Response(detail_data(assessment, membership))


class SubmitView(ApiView):
    @extend_schema(
        request=None,
        responses=AssessmentDetailSerializer,
        summary="Submit: freeze the answers and store the results",
    )
    def post(self, request: Request, pk: int) -> Response:
        # Imported here: respondents builds on assessments (as in assessments/questionnaire_views.py).
        from respondents.independent import consensus_missing

        assessment, membership = access.get_assessment_for_user(self.user_id, pk, "edit")
        if not assessment.is_editable:
            raise conflict_problem("This assessment is already submitted.", kind="locked")
        missing = consensus_missing(assessment)
        if missing:
            raise conflict_problem(
                f"Set a consensus answer first for: {', '.join(missing)}.",
                kind="consensus-missing",
                missing=missing,
            )
        try:
            assessment_submit(assessment=assessment, user=request.user)
        except AssessmentLocked as locked:
            raise conflict_problem(
                "Someone else submitted this assessment meanwhile.", kind="locked"
            ) from locked
        assessment, membership = access.get_assessment_for_user(self.user_id, pk)
        return Response(detail_data(assessment, membership))


class ReopenView(ApiView):
    @extend_schema(
        request=None,
        responses=AssessmentDetailSerializer,
        summary="Reopen a submitted assessment (organisation admins)",
    )
    def post(self, request: Request, pk: int) -> Response:
        assessment, membership = access.get_assessment_for_user(self.user_id, pk, "reopen")
        if assessment.status != Assessment.Status.SUBMITTED:
            raise conflict_problem(
                "This assessment is not submitted: there is nothing to reopen.",
                kind="not-submitted",
            )
        assessment_reopen(assessment=assessment, user=request.user)
        assessment, membership = access.get_assessment_for_user(self.user_id, pk)
        return Response(detail_data(assessment, membership))


class TargetsView(ApiView):
    @extend_schema(responses=DomainTargetSerializer(many=True), summary="Targets by domain")
    def get(self, request: Request, pk: int) -> Response:
        assessment, _ = access.get_assessment_for_user(self.user_id, pk)
        return Response(DomainTargetSerializer(_targets(assessment), many=True).data)

    @extend_schema(
        request=TargetsWriteSerializer,
        responses=DomainTargetSerializer(many=True),
        summary="Set targets of some domains (as the targets page does)",
    )
    def patch(self, request: Request, pk: int) -> Response:
        assessment, _ = access.get_assessment_for_user(self.user_id, pk, "targets")
        given = TargetsWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        wanted: dict[str, str] = given.validated_data["targets"]
        content = instrument_content(assessment.instrument)
        current: dict[str, Decimal] = {d.key: assessment.target_for(d) for d in content.domains}
        unknown = [key for key in wanted if key not in current]
        if unknown:
            raise validation_problem(
                {f"targets.{key}": ["This questionnaire has no such domain."] for key in unknown}
            )
        posted = {key: str(value) for key, value in current.items()} | wanted
        form = TargetsForm(posted, domains=content.domains, current=current)
        if not form.is_valid():
            raise form_problem(form, {key: f"targets.{key}" for key in current})
        assessment_set_targets(assessment=assessment, user=request.user, targets=form.targets())
        assessment.refresh_from_db(fields=["targets"])
        return Response(DomainTargetSerializer(_targets(assessment), many=True).data)
