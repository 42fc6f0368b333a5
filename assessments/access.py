"""The one place that answers "may this user see or change this object?".

Every view fetches its objects through these helpers. An object of an organisation or site
the user has no membership for is a 404, never a 403, so that nothing about it leaks.
Inside an organisation the user can see, an action the role does not allow is a 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BooleanField, Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404

from assessments.models import Assessment, Instrument, Membership, Site

if TYPE_CHECKING:
    from actions.models import ActionItem
    from evidence.models import EvidenceFile

M = TypeVar("M", bound=Model)

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
    # Batch exports of many sites' reports (reports/job_views.py): who exports for the network.
    "batch-export": frozenset({Role.ORG_ADMIN, Role.CONSULTANT}),
    "compare": frozenset({Role.ORG_ADMIN, Role.SITE_ADMIN, Role.CONSULTANT, Role.VIEWER}),
    "reopen": frozenset({Role.ORG_ADMIN}),
    # Action items (issue 14): consultants take on the plan too; site admins on their sites.
    "plan": frozenset({Role.ORG_ADMIN, Role.SITE_ADMIN, Role.CONSULTANT}),
    "manage": frozenset({Role.ORG_ADMIN}),
    # Assigning domains of an assessment to members (issue 15): its coordinators.
    "assign": frozenset({Role.ORG_ADMIN, Role.SITE_ADMIN, Role.CONSULTANT}),
}


# An API token limited to one organisation (api/): while it is set, the user is a member of
# that organisation only, so every helper below answers 404 for any other one. A context
# variable, set and reset by the API's views around one request.
_organisation_limit: ContextVar[int | None] = ContextVar("organisation_limit", default=None)


@contextmanager
def organisation_limit_block() -> Iterator[None]:
    """A block in which `limit_to_organisation` may be called; the limit ends with it."""
    token = _organisation_limit.set(None)
    try:
        yield
    finally:
        _organisation_limit.reset(token)


def limit_to_organisation(organisation_id: int) -> None:
    """Until the enclosing `organisation_limit_block` ends, only this organisation exists."""
    _organisation_limit.set(organisation_id)


def _memberships(user_id: int) -> QuerySet[Membership]:
    """The user's memberships, narrowed to the organisation an API token is limited to."""
    queryset = Membership.objects.filter(user_id=user_id)
    limit = _organisation_limit.get()
    return queryset if limit is None else queryset.filter(organisation_id=limit)


def allows(membership: Membership, action: str) -> bool:
    return membership.role in ACTIONS[action]


def require(membership: Membership, action: str) -> None:
    if not allows(membership, action):
        raise PermissionDenied


def _membership(user_id: int, organisation_id: int, site_id: int | None = None) -> Membership:
    """The user's membership of the organisation, with `has_site` for a site admin's site.

    Every membership of the user comes in the same query, with its organisation: a page can
    hand `membership.user_memberships` to the organisation switcher (`nav_memberships`, as
    `user_memberships` gives it) instead of asking the database again.
    """
    queryset = _memberships(user_id).select_related("organisation")
    if site_id is not None:
        queryset = queryset.annotate(has_site=_has_site(site_id))
    memberships = list(queryset)
    membership = next((m for m in memberships if m.organisation_id == organisation_id), None)
    if membership is None:
        raise Http404
    membership.user_memberships = memberships  # type: ignore[attr-defined]
    if (
        site_id is not None
        and membership.role == Role.SITE_ADMIN
        and not getattr(membership, "has_site", False)
    ):
        raise Http404
    return membership


def _has_site(site_id: int) -> RawSQL:
    """Whether the membership row names the site among a site admin's sites.

    `Exists(Membership.sites.through.objects.filter(membership_id=OuterRef("pk"), ...))` says
    the same; compiling that subquery was half of this query's time (0.7 of 1.2 ms), paid by
    every page of an assessment or a site. The SQL is plain, its names come from the models,
    and the site is a parameter.
    """
    quote = connection.ops.quote_name
    through = Membership.sites.through._meta
    link, site = (
        getattr(through.get_field(name), "column", name) for name in ("membership", "site")
    )
    membership = f"{quote(Membership._meta.db_table)}.{quote(str(Membership._meta.pk.column))}"
    return RawSQL(
        f"EXISTS (SELECT 1 FROM {quote(through.db_table)} U0 "
        f"WHERE U0.{quote(link)} = {membership} AND U0.{quote(site)} = %s)",
        (site_id,),
        output_field=BooleanField(),
    )


def user_memberships(user_id: int) -> list[Membership]:
    return list(_memberships(user_id).select_related("organisation"))


def get_organisation_for_user(user_id: int, slug: str, action: str = "view") -> Membership:
    """The membership (with its organisation) of the organisation `slug`, or 404.

    Every membership of the user comes in the same query (a person belongs to a few
    organisations), for the organisation switcher as with `_membership`."""
    memberships = user_memberships(user_id)
    membership = next((m for m in memberships if m.organisation.slug == slug), None)
    if membership is None:
        raise Http404
    require(membership, action)
    membership.user_memberships = memberships  # type: ignore[attr-defined]
    return membership


def visible_sites(membership: Membership) -> QuerySet[Site]:
    """The sites of the membership's organisation that its holder may see."""
    sites = Site.objects.filter(organisation_id=membership.organisation_id)
    if membership.role == Role.SITE_ADMIN:
        sites = sites.filter(site_admins=membership)
    return sites


def visible_assessments(user_id: int) -> QuerySet[Assessment]:
    """Every assessment the user may see: those of their organisations' sites, of a site
    admin's own sites only (the API's lists; a page lists one site or organisation)."""
    memberships = _memberships(user_id)
    whole = memberships.exclude(role=Role.SITE_ADMIN).values("organisation_id")
    own_sites = Membership.sites.through.objects.filter(
        membership__in=memberships.filter(role=Role.SITE_ADMIN)
    ).values("site_id")
    return Assessment.objects.filter(Q(site__organisation_id__in=whole) | Q(site_id__in=own_sites))


def get_site_for_user(user_id: int, pk: int, action: str = "view") -> tuple[Site, Membership]:
    site = Site.objects.select_related("organisation").filter(pk=pk).first()
    if site is None:
        raise Http404
    membership = _membership(user_id, site.organisation_id, site.pk)
    require(membership, action)
    return site, membership


def get_instrument_for_user(user_id: int, slug: str, pk: int) -> tuple[Instrument, Membership]:
    """An instrument version the organisation `slug` may use (a shipped one or its own
    upload), for any member of it; 404 otherwise."""
    membership = get_organisation_for_user(user_id, slug, "view")
    instrument = (
        Instrument.objects.filter(pk=pk)
        .filter(Q(organisation__isnull=True) | Q(organisation_id=membership.organisation_id))
        .first()
    )
    if instrument is None:
        raise Http404
    return instrument, membership


def get_assessment_for_user(
    user_id: int, pk: int, action: str = "view", *, for_update: bool = False
) -> tuple[Assessment, Membership]:
    # Whether it runs in independent-answers mode (issue 15) comes with the row: every page of
    # the assessment asks, and a query of its own would cost each of them one.
    queryset = Assessment.objects.with_context().select_related("independent_answering")
    if for_update:
        # Serialises concurrent saves of one assessment (PostgreSQL; SQLite takes its
        # write lock at BEGIN IMMEDIATE). Must run inside transaction.atomic.
        queryset = queryset.select_for_update(of=("self",))
    try:
        # get(), not first(): no ORDER BY to compile on every page of an assessment.
        assessment = queryset.get(pk=pk)
    except Assessment.DoesNotExist:
        raise Http404 from None
    membership = _membership(user_id, assessment.site.organisation_id, assessment.site_id)
    require(membership, action)
    # The same organisation, already read with the assessment: the navigation shows its name
    # without asking the database again.
    membership.organisation = assessment.site.organisation
    return assessment, membership


def may_edit_domain(membership: Membership, assessment: Assessment, domain_key: str) -> bool:
    """Whether the member may answer the domain `domain_key` of the assessment: their role
    allows editing it, or the domain is assigned to them (issue 15; a viewer too, and for that
    domain only). Whether the assessment is still editable is the caller's question."""
    if allows(membership, "edit"):
        return True
    # Imported here: respondents builds on assessments, never the reverse at import time.
    from respondents.models import Assignment

    return (
        Assignment.objects.active()
        .filter(assessment_id=assessment.pk, domain_key=domain_key, user_id=membership.user_id)
        .exists()
    )


def require_domain_edit(membership: Membership, assessment: Assessment, domain_key: str) -> None:
    if not may_edit_domain(membership, assessment, domain_key):
        raise PermissionDenied


def may_be_assigned(membership: Membership, site_id: int, site_ids: Any) -> bool:
    """Whether the member can see the site (only they may be assigned its domains).
    `site_ids` is site_admin_site_ids(membership)."""
    return membership.role != Role.SITE_ADMIN or site_id in site_ids


# --- action items (issue 14) -----------------------------------------------------------------


@dataclass(frozen=True)
class ItemRights:
    """What a member may do with one action item."""

    edit: bool  # every field: title, owner, due date, status, reason, notes
    update: bool  # status, reason and notes only: the owner may, whatever the role


def site_admin_site_ids(membership: Membership) -> frozenset[int]:
    """The sites a site admin administers (empty for other roles: they need no list)."""
    if membership.role != Role.SITE_ADMIN:
        return frozenset()
    return frozenset(membership.sites.values_list("pk", flat=True))


def item_rights(
    membership: Membership, *, site_id: int, owner_id: int | None, user_id: int, site_ids: Any
) -> ItemRights:
    """Viewers read; site admins edit their sites' items; org admins and consultants all of
    their organisation's; the owner may always update status and notes. `site_ids` is
    site_admin_site_ids(membership), passed in so that a list asks once, not per row."""
    edit = allows(membership, "plan") and (
        membership.role != Role.SITE_ADMIN or site_id in site_ids
    )
    return ItemRights(edit=edit, update=edit or (owner_id is not None and owner_id == user_id))


def visible_site_items(membership: Membership, queryset: QuerySet[M], user_id: int) -> QuerySet[M]:
    """Rows of sites (with `site` and `owner` fields) of the membership's organisation that
    its holder may see: a site admin sees their sites' rows and the ones they own."""
    queryset = queryset.filter(organisation_id=membership.organisation_id)
    if membership.role == Role.SITE_ADMIN:
        queryset = queryset.filter(Q(site__site_admins=membership) | Q(owner_id=user_id))
    return queryset.distinct() if membership.role == Role.SITE_ADMIN else queryset


def get_action_item_for_user(
    user_id: int, pk: int, *, change: bool = False
) -> tuple[ActionItem, Membership, ItemRights]:
    """The item, the user's membership and rights; 404 unless the user may see it, 403 when
    `change` is asked of someone who may neither edit nor update it."""
    # Imported here: actions builds on assessments, never the reverse at import time.
    from actions.models import ActionItem

    item = ActionItem.objects.with_context().filter(pk=pk).first()
    if item is None:
        raise Http404
    membership = (
        _memberships(user_id)
        .filter(organisation_id=item.organisation_id)
        .select_related("organisation")
        .first()
    )
    if membership is None:
        raise Http404
    site_ids = site_admin_site_ids(membership)
    owner = item.owner_id is not None and item.owner_id == user_id
    if membership.role == Role.SITE_ADMIN and item.site_id not in site_ids and not owner:
        raise Http404
    rights = item_rights(
        membership, site_id=item.site_id, owner_id=item.owner_id, user_id=user_id, site_ids=site_ids
    )
    if change and not rights.update:
        raise PermissionDenied
    return item, membership, rights


# --- evidence files (issue 14) ----------------------------------------------------------------


def get_evidence_file_for_user(
    user_id: int, pk: int, *, change: bool = False
) -> tuple[EvidenceFile, Membership]:
    """An evidence file with its assessment, for whoever may view the assessment; 404 when
    they may not, for a file not yet available (waiting for or failing its virus scan) to
    anyone but its uploader, and for one the blind rule of independent answers hides from
    them (respondents/blind.py). `change` (delete) asks what answering the question needs
    (`may_edit_domain`): 403 otherwise."""
    # Imported here: evidence and respondents build on assessments, never the reverse at
    # import time.
    from assessments.content import instrument_content
    from evidence.models import EvidenceFile
    from respondents.blind import blind_rule

    evidence = (
        EvidenceFile.objects.select_related(
            "assessment__site__organisation",
            "assessment__instrument",
            "assessment__independent_answering",
        )
        .filter(pk=pk)
        .first()
    )
    if evidence is None:
        raise Http404
    assessment = evidence.assessment
    membership = _membership(user_id, assessment.site.organisation_id, assessment.site_id)
    membership.organisation = assessment.site.organisation
    require(membership, "view")
    if not evidence.available and evidence.uploaded_by_id != user_id:
        raise Http404
    blind = blind_rule(assessment, viewer_id=user_id)
    if blind is not None and not blind.shows_question(
        evidence.uploaded_by_id, evidence.question_key
    ):
        raise Http404
    if change:
        question = instrument_content(assessment.instrument).by_key.get(evidence.question_key)
        if question is None:
            require(membership, "edit")
        else:
            require_domain_edit(membership, assessment, question.domain.key)
    return evidence, membership
