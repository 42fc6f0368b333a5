"""Who asks (me), their organisations and the sites they can see."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.models import ApiToken
from api.serializers.instruments import InstrumentSerializer
from api.serializers.organisations import MeSerializer, OrganisationSerializer, SiteSerializer
from assessments import access
from assessments.display import display_name
from assessments.models import Instrument


class MeView(ApiView):
    @extend_schema(responses=MeSerializer, summary="Who the request acts as")
    def get(self, request: Request) -> Response:
        user = request.user
        token = request.auth if isinstance(request.auth, ApiToken) else None
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "name": display_name(user),
            "email": user.email,
            "authenticated_by": "token" if token is not None else "session",
            "token": None
            if token is None
            else {
                "name": token.name,
                "prefix": token.prefix,
                "read_only": token.read_only,
                "organisation": token.organisation.slug if token.organisation else None,
                "expires_at": token.expires_at,
            },
        }
        return Response(MeSerializer(data).data)


class OrganisationListView(ApiView):
    @extend_schema(responses=OrganisationSerializer(many=True), summary="My organisations")
    def get(self, request: Request) -> Response:
        return self.page_of(access.user_memberships(self.user_id), OrganisationSerializer)


class OrganisationDetailView(ApiView):
    @extend_schema(responses=OrganisationSerializer, summary="One of my organisations")
    def get(self, request: Request, slug: str) -> Response:
        membership = access.get_organisation_for_user(self.user_id, slug)
        return Response(OrganisationSerializer(membership).data)


class SiteListView(ApiView):
    @extend_schema(
        responses=SiteSerializer(many=True),
        summary="The organisation's sites I can see",
        parameters=[
            OpenApiParameter("archived", OpenApiTypes.BOOL, description="Include archived sites.")
        ],
    )
    def get(self, request: Request, slug: str) -> Response:
        membership = access.get_organisation_for_user(self.user_id, slug)
        sites = access.visible_sites(membership).select_related("organisation")
        if request.query_params.get("archived") not in ("1", "true", "yes"):
            sites = sites.filter(archived=False)
        return self.page_of(sites.order_by("name", "pk"), SiteSerializer)


class SiteDetailView(ApiView):
    @extend_schema(responses=SiteSerializer, summary="One site")
    def get(self, request: Request, pk: int) -> Response:
        site, _ = access.get_site_for_user(self.user_id, pk)
        return Response(SiteSerializer(site).data)


class InstrumentListView(ApiView):
    @extend_schema(
        responses=InstrumentSerializer(many=True),
        summary="Instrument versions the organisation may use (shipped and its own)",
    )
    def get(self, request: Request, slug: str) -> Response:
        membership = access.get_organisation_for_user(self.user_id, slug)
        instruments = Instrument.objects.filter(
            Q(organisation__isnull=True) | Q(organisation_id=membership.organisation_id)
        ).order_by("slug", "version", "pk")
        return self.page_of(instruments, InstrumentSerializer)
