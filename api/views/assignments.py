"""Assignments: an assessment's (its coordinators assign and remove, as on the assignments
page, through respondents/services.py) and the person's own."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.models import ApiToken
from api.problems import form_problem, validation_problem
from api.serializers.assignments import (
    AssignmentSerializer,
    AssignSerializer,
    MyAssignmentSerializer,
)
from assessments import access
from assessments.content import instrument_content
from assessments.display import display_name
from respondents.forms import AssignForm
from respondents.models import Assignment
from respondents.queries import my_assignments
from respondents.services import (
    AssignmentError,
    assignable_members,
    assignment_create,
    assignment_remove,
)


class AssignmentListView(ApiView):
    @extend_schema(
        responses=AssignmentSerializer(many=True),
        summary="Who answers which domain (removed ones too, marked)",
    )
    def get(self, request: Request, pk: int) -> Response:
        assessment, _ = access.get_assessment_for_user(self.user_id, pk, "assign")
        rows = Assignment.objects.filter(assessment=assessment).select_related(
            "user", "assigned_by"
        )
        return self.page_of(rows.order_by("domain_key", "pk"), AssignmentSerializer)

    @extend_schema(
        request=AssignSerializer,
        responses={201: AssignmentSerializer},
        summary="Assign a domain to a member (e-mailed the link), or change the due date",
    )
    def post(self, request: Request, pk: int) -> Response:
        given = AssignSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        assessment, _ = access.get_assessment_for_user(self.user_id, pk, "assign")
        members = assignable_members(assessment)
        users = {m.user_id: m.user for m in members}
        form = AssignForm(
            {
                "domain": data["domain"],
                "respondent": str(data["user"]),
                "due_date": data["due_date"].isoformat() if data.get("due_date") else "",
            },
            domains=[(d.key, d.title) for d in instrument_content(assessment.instrument).domains],
            members=[(m.user_id, display_name(m.user)) for m in members],
        )
        if not form.is_valid():
            raise form_problem(form, {"respondent": "user"})
        cleaned = form.cleaned_data
        try:
            done = assignment_create(
                assessment=assessment,
                domain_key=cleaned["domain"],
                respondent=users[cleaned["respondent"]],
                due_date=cleaned["due_date"],
                user=request.user,
            )
        except AssignmentError as error:
            raise validation_problem({"non_field_errors": [str(error)]}) from error
        assignment = Assignment.objects.select_related("user", "assigned_by").get(
            pk=done.assignment.pk
        )
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class AssignmentDetailView(ApiView):
    @extend_schema(request=None, responses={204: None}, summary="Remove an assignment")
    def delete(self, request: Request, pk: int, assignment_pk: int) -> Response:
        assessment, _ = access.get_assessment_for_user(self.user_id, pk, "assign")
        assignment = assessment.assignments.filter(pk=assignment_pk).first()
        if assignment is None:
            raise Http404
        assignment_remove(assignment=assignment, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyAssignmentsView(ApiView):
    @extend_schema(
        responses=MyAssignmentSerializer(many=True),
        summary="My assignments of unsubmitted assessments, the earliest due first",
    )
    def get(self, request: Request) -> Response:
        token = request.auth if isinstance(request.auth, ApiToken) else None
        rows = my_assignments(
            self.user_id, organisation_id=token.organisation_id if token is not None else None
        )
        return self.page_of(rows, MyAssignmentSerializer)
