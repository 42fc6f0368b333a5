"""The one place that answers "may this user see or change this object?".

Every view fetches its objects through these helpers. An object of an organisation or site
the user has no membership for is a 404, never a 403, so that nothing about it leaks.
Inside an organisation the user can see, an action the role does not allow is a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from assessments.models import Assessment, Membership, Site

Role = Membership.Role

# What each role may do, inside what it can see. Site admins act only on their own sites.
ACTIONS: dict[str, frozenset[str]] = {
    "view": frozenset({Role.ORG_ADMIN, Role.SITE_ADMIN, Role.CONSULTANT, Role.VIEWER}),
    "report": frozenset({Role.ORG_ADMIN, Role.SITE_ADMIN, Role.CONSULTANT, Role.VIEWER}),
    "edit": frozenset({Role.ORG_ADMIN, Role.SITE_ADMIN}),
    "targets": frozenset({Role.ORG_ADMIN, Role.SITE_ADMIN}),
    "create": frozenset({Role.ORG_ADMIN, Role.SITE_ADMIN}),
    "import": frozenset({Role.ORG_ADMIN, Role.CONSULTANT}),
    "brand": frozenset({Role.ORG_ADMIN, Role.CONSULTANT}),
    "compare": frozenset({Role.ORG_ADMIN, Role.SITE_ADMIN, Role.CONSULTANT, Role.VIEWER}),
    "reopen": frozenset({Role.ORG_ADMIN}),
    "manage": frozenset({Role.ORG_ADMIN}),
}


def allows(membership: Membership, action: str) -> bool:
    return membership.role in ACTIONS[action]


def require(membership: Membership, action: str) -> None:
    if not allows(membership, action):
        raise PermissionDenied


def _membership(user_id: int, organisation_id: int, site_id: int | None = None) -> Membership:
    """The user's membership of the organisation, with `has_site` for a site admin's site."""
    queryset = Membership.objects.filter(user_id=user_id, organisation_id=organisation_id)
    if site_id is not None:
        queryset = queryset.annotate(
            has_site=Exists(
                Membership.sites.through.objects.filter(
                    membership_id=OuterRef("pk"), site_id=site_id
                )
            )
        )
    membership = queryset.first()
    if membership is None:
        raise Http404
    if (
        site_id is not None
        and membership.role == Role.SITE_ADMIN
        and not getattr(membership, "has_site", False)
    ):
        raise Http404
    return membership


def user_memberships(user_id: int) -> list[Membership]:
    return list(Membership.objects.filter(user_id=user_id).select_related("organisation"))


def get_organisation_for_user(user_id: int, slug: str, action: str = "view") -> Membership:
    """The membership (with its organisation) of the organisation `slug`, or 404."""
    membership = (
        Membership.objects.filter(user_id=user_id, organisation__slug=slug)
        .select_related("organisation")
        .first()
    )
    if membership is None:
        raise Http404
    require(membership, action)
    return membership


def visible_sites(membership: Membership) -> QuerySet[Site]:
    """The sites of the membership's organisation that its holder may see."""
    sites = Site.objects.filter(organisation_id=membership.organisation_id)
    if membership.role == Role.SITE_ADMIN:
        sites = sites.filter(site_admins=membership)
    return sites


def get_site_for_user(user_id: int, pk: int, action: str = "view") -> tuple[Site, Membership]:
    site = Site.objects.select_related("organisation").filter(pk=pk).first()
    if site is None:
        raise Http404
    membership = _membership(user_id, site.organisation_id, site.pk)
    require(membership, action)
    return site, membership


def get_assessment_for_user(
    user_id: int, pk: int, action: str = "view", *, for_update: bool = False
) -> tuple[Assessment, Membership]:
    queryset = Assessment.objects.with_context()
    if for_update:
        # Serialises concurrent saves of one assessment (PostgreSQL; SQLite takes its
        # write lock at BEGIN IMMEDIATE). Must run inside transaction.atomic.
        queryset = queryset.select_for_update(of=("self",))
    assessment = queryset.filter(pk=pk).first()
    if assessment is None:
        raise Http404
    membership = _membership(user_id, assessment.site.organisation_id, assessment.site_id)
    require(membership, action)
    return assessment, membership
