"""What a report export looks like for the person asking: branding, sign-off, paper and
sections. One function (`report_options_for_request`) answers it for a request, and
`ReportOptions.identity()` is everything of it a cached PDF depends on.

Whose branding: an organisation's own staff get the organisation's title and logo; a
consultant gets their own (reports.models.ConsultantBranding), in every client organisation,
or the plain default until they set one. Sign-off: only when the person exporting a
submitted assessment asks for it, with their own name; a draft or reopened assessment is
never signed and carries a DRAFT watermark instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, QueryDict

from assessments.display import display_name
from assessments.models import Assessment, Membership
from respondents.consensus_report import open_domains
from respondents.independent import is_independent

SECTION_CHOICES: tuple[tuple[str, str], ...] = (
    ("summary", "Executive summary"),
    ("charts", "Scores and gaps at a glance"),
    ("domains", "Results by domain"),
    ("action-plan", "Action plan"),
    ("crosswalk", "Framework crosswalk"),
    ("still-to-answer", "Still to answer"),
    ("appendix", "Appendix: every answer"),
    ("method", "How the scores are computed"),
)
ALL_SECTIONS: tuple[str, ...] = tuple(key for key, _ in SECTION_CHOICES)
# The board summary: cover, verdict, blockers and top gaps (the executive summary without
# its per-domain table) and the first actions of the plan, on at most five pages.
BOARD_SECTIONS: tuple[str, ...] = ("summary", "action-plan")
BOARD_ACTIONS = 5
# The paper by the organisation's setting: the CSS page size, and the page's height for the
# cover, which fills its page (templates/reports/pdf/base_pdf.html).
PAPER = {
    "letter": {"size": "letter", "height": "279.4mm"},
    "a4": {"size": "A4", "height": "297mm"},
}
DEFAULT_PAGE_SIZE = "letter"


@dataclass(frozen=True)
class Branding:
    """The title and logo a report carries, and whose they are."""

    owner: str  # "organisation", "consultant" or "default"
    title: str = ""
    logo_name: str = ""  # storage name, "" without a logo
    signoff_name: str = ""  # the name its owner signs with
    logo: FieldFile | None = field(default=None, compare=False, repr=False)


DEFAULT_BRANDING = Branding(owner="default")


@dataclass(frozen=True)
class ReportOptions:
    page_size: str = DEFAULT_PAGE_SIZE  # "letter" or "a4"
    sections: tuple[str, ...] = ALL_SECTIONS
    board: bool = False
    signed_by: str = ""  # "" unless the exporter ticked "Sign this report as …"
    draft: bool = False  # draft or reopened: watermarked, never signed
    branding: Branding = DEFAULT_BRANDING
    # Independent answers (issue 15): the domains the exporter still answers, whose
    # respondents' answers their copy leaves out (respondents/consensus_report.py).
    blind_domains: tuple[str, ...] = ()

    @property
    def paper(self) -> dict[str, str]:
        return PAPER.get(self.page_size, PAPER[DEFAULT_PAGE_SIZE])

    def shows(self, section: str) -> bool:
        return section in self.sections

    def identity(self) -> list[Any]:
        """Everything a rendered PDF depends on besides the assessment: for cache keys."""
        return [
            self.page_size,
            list(self.sections),
            self.board,
            self.signed_by,
            self.draft,
            self.branding.owner,
            self.branding.title,
            self.branding.logo_name,
            list(self.blind_domains),
        ]


def branding_for(user: Any, membership: Membership | None) -> Branding:
    """A consultant's own branding, else the organisation's for its staff (no user: the
    organisation's, as `manage.py export_report` prints it)."""
    if membership is not None and membership.role == Membership.Role.CONSULTANT:
        from reports.models import ConsultantBranding

        own = ConsultantBranding.objects.filter(user_id=user.pk).first()
        if own is None:
            return Branding(owner="consultant", signoff_name=display_name(user))
        return Branding(
            owner="consultant",
            title=own.report_title,
            logo_name=str(own.report_logo.name or ""),
            signoff_name=own.report_signoff or display_name(user),
            logo=own.report_logo if own.report_logo else None,
        )
    organisation = membership.organisation if membership is not None else None
    if organisation is None:
        return DEFAULT_BRANDING
    logo = organisation.report_logo
    return Branding(
        owner="organisation",
        title=organisation.report_title,
        logo_name=str(logo.name or "") if logo else "",
        signoff_name=display_name(user) if user is not None else "",
        logo=logo if logo else None,
    )


def is_draft(assessment: Assessment) -> bool:
    return assessment.status != Assessment.Status.SUBMITTED


def report_options(
    *,
    assessment: Assessment,
    user: Any = None,
    membership: Membership | None = None,
    sections: tuple[str, ...] | None = None,
    board: bool = False,
    sign: bool = False,
    for_file: bool = True,
    branding: Branding | None = None,
) -> ReportOptions:
    """The options of one export. Unknown sections are left out; a draft is never signed.
    A page passes `for_file=False`: it gives build_report its viewer instead of asking which
    domains the person still answers (one query less). `branding`: the person's, when the
    caller has it already (branding_for)."""
    organisation = assessment.site.organisation
    branding = branding or (
        branding_for(user, membership)
        if membership is not None
        else Branding(
            owner="organisation",
            title=organisation.report_title,
            logo_name=str(organisation.report_logo.name or ""),
            logo=organisation.report_logo if organisation.report_logo else None,
        )
    )
    draft = is_draft(assessment)
    if board:
        chosen = BOARD_SECTIONS
    elif sections is None:
        chosen = ALL_SECTIONS
    else:
        chosen = tuple(key for key in ALL_SECTIONS if key in sections)
    return ReportOptions(
        page_size=organisation.report_page_size or DEFAULT_PAGE_SIZE,
        sections=chosen,
        board=board,
        signed_by=branding.signoff_name if sign and not draft else "",
        draft=draft,
        branding=branding,
        blind_domains=_blind_domains(assessment, user) if for_file else (),
    )


def _blind_domains(assessment: Assessment, user: Any) -> tuple[str, ...]:
    """The domains whose respondents' answers the person may not see yet (issue 15): none
    without a person or outside the independent-answers mode (no query for an assessment
    read through assessments.access)."""
    if user is None or user.pk is None or not is_independent(assessment):
        return ()
    return open_domains(assessment.pk, user.pk)


def report_options_for_request(
    request: HttpRequest, assessment: Assessment, membership: Membership, *, for_file: bool = True
) -> tuple[ReportOptions, Any]:
    """The options a request asks for (its query string), and the export form holding them.

    When the form is not valid the options are the defaults; the view shows the form's
    messages rather than a file.
    """
    from reports.forms import ReportExportForm

    branding = branding_for(request.user, membership)
    form = ReportExportForm(
        export_query(request.GET), assessment=assessment, signer=branding.signoff_name
    )
    if not form.is_bound or not form.is_valid():
        options = report_options(
            assessment=assessment,
            user=request.user,
            membership=membership,
            for_file=for_file,
            branding=branding,
        )
        return options, form
    data = form.cleaned_data
    return report_options(
        assessment=assessment,
        user=request.user,
        membership=membership,
        sections=tuple(data["sections"]) or None,
        board=data["preset"] == "board",
        sign=bool(data["sign"]),
        for_file=for_file,
        branding=branding,
    ), form


def export_query(query: QueryDict) -> QueryDict | None:
    """The query string as the export form's data, or None when it asks for nothing."""
    from reports.forms import ReportExportForm

    if any(name in query for name in ReportExportForm.base_fields):
        return query
    return None
