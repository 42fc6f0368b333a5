"""Import one assessment file: check it completely, then write it in one transaction.

A file is judged by the declared format (`assessment_format`, worded by `transfer_checks`) and
against this database (the instrument version, the organisation, the site and its rounds)
before anything is written, and then written in one transaction, so a bad file changes
nothing. Every problem names the key it is about, in the dotted form a person can find in the
file: `answers.access.q04.value: "7" is not an allowed option (allowed: 0, 1, 2, 3, 4, na)`.
Exporting is `transfer_export`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from assessments.content import instrument_content
from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    Instrument,
    Organisation,
    Site,
)
from assessments.review import ordered_flags
from assessments.services import (
    RoundTaken,
    assessment_create,
    assessment_reopen,
    assessment_round_taken,
    assessment_submit,
    round_taken_message,
)
from assessments.transfer_checks import (
    AssessmentFileChecker,
    TransferError,
    ValidAnswer,
    parse_assessment_json,
    show,
    transfer_error,
)

# An import reads the file's text, checks what it holds, then writes it; each step may raise
# TransferError.
__all__ = ["TransferError", "assessment_import", "parse_assessment_json", "validate_import"]

_MAX_ORG_SLUG = 80  # Organisation.slug
_ROUND_ADVICE = 'it was imported before; to keep both, change "round" in the file'


@dataclass(frozen=True)
class ValidImport:
    """Everything an import writes, checked: nothing in it can fail on the way to the database."""

    instrument: Instrument
    organisation: Organisation | None  # None: created on import, named organisation_name
    organisation_name: str
    site: Site | None  # None: created on import, named site_name
    site_name: str
    round_label: str
    round_date: datetime.date
    status: str
    targets: dict[str, Decimal]
    answers: tuple[ValidAnswer, ...]
    review: tuple[str, ...] = ()
    # Independent answers (respondents.transfer.ValidIndependent); None: the single-answer mode.
    independent: Any = None


def validate_import(
    data: Any, *, organisation: Organisation | None = None, allow_new_site: bool = True
) -> ValidImport:
    """Check a parsed assessment file completely; raises TransferError listing what is wrong.

    `organisation` is where the import goes (the app's current organisation): the file's
    organisation name is then not used. Without it, the organisation named in the file is looked
    up (it is created on import when missing); that decides which organisation-owned
    instruments may be used. Reads the database, never writes to it.
    """
    check = AssessmentFileChecker(data)
    check.check_format()
    organisation_name = check.text("organisation")
    site_name = check.text("site")
    round_label = check.text("round")
    round_date = check.round_date()
    status = check.status()

    owner = organisation
    if owner is None and organisation_name is not None:
        owner = Organisation.objects.filter(name=organisation_name.strip()).first()
    site = None
    if owner is not None and site_name is not None:
        site = Site.objects.filter(organisation=owner, name=site_name.strip()).first()
        if site is None and not allow_new_site:
            check.add(
                "site",
                f"there is no site {show(site_name.strip())} in {owner.name}; an organisation "
                'admin can add it, or change "site" in the file to an existing site\'s name',
            )
        elif site is not None and site.archived:
            check.add("site", f"{show(site.name)} is archived: restore it before importing")
    instrument = check.instrument(owner)
    if site is not None and instrument is not None and round_label is not None:
        # The same file twice, or a round the site already has for this instrument.
        taken = assessment_round_taken(
            site=site, instrument_slug=instrument.slug, round_label=round_label.strip()
        )
        if taken is not None:
            check.add("round", round_taken_message(taken, round_label.strip(), _ROUND_ADVICE))
    targets = check.targets(instrument)
    answers = check.answers(instrument)
    review = check.review(instrument)
    # Imported here: respondents builds on assessments, never the reverse at import time.
    from respondents.transfer import respondents_check

    independent = respondents_check(check, instrument=instrument, organisation=owner, site=site)

    check.raise_problems()
    # No problem means every part was read; the asserts tell the type checker so.
    assert instrument is not None
    assert organisation_name is not None
    assert site_name is not None
    assert round_label is not None
    return ValidImport(
        instrument=instrument,
        organisation=owner,
        organisation_name=organisation_name.strip(),
        site=site,
        site_name=site_name.strip(),
        round_label=round_label.strip(),
        round_date=round_date,
        status=status,
        targets=targets,
        answers=answers,
        review=review,
        independent=independent,
    )


# --- import ---------------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[: _MAX_ORG_SLUG - 8].strip("-") or "organisation"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _site_for(valid: ValidImport) -> Site:
    """The site checked by validation, or a new one (and a new organisation) named by the file."""
    if valid.site is not None:
        return valid.site
    organisation = valid.organisation
    if organisation is None:
        organisation = Organisation.objects.create(
            name=valid.organisation_name, slug=_unique_slug(valid.organisation_name)
        )
    return Site.objects.create(organisation=organisation, name=valid.site_name)


def assessment_import(
    *,
    data: Any,
    user: User | None,
    organisation: Organisation | None = None,
    allow_new_site: bool = True,
) -> Assessment:
    """Create an assessment from a parsed assessment file; raises TransferError, writing nothing.

    With `organisation` (the app) the assessment goes into that organisation, whatever the file
    names, and its site is matched by name there (created only when `allow_new_site`). Without
    it (the command) organisation and site are found by name and created when missing.
    The file's results are ignored: a submitted assessment's results are computed and stored
    by the same code as a submission in the app.
    """
    valid = validate_import(data, organisation=organisation, allow_new_site=allow_new_site)
    with transaction.atomic():
        try:
            assessment = assessment_create(
                site=_site_for(valid),
                instrument=valid.instrument,
                round_label=valid.round_label,
                round_date=valid.round_date,
                user=user,
            )
        except RoundTaken as taken:  # imported by someone else since validation
            message = round_taken_message(taken.existing, valid.round_label, _ROUND_ADVICE)
            raise transfer_error("round", message) from taken
        now = timezone.now()
        Answer.objects.bulk_create(
            Answer(
                assessment=assessment,
                question=a.question,
                value=a.entry.value,
                comment=a.entry.comment,
                evidence=a.entry.evidence,
                answered_by=user,
                answered_at=now,
                carried_over=a.entry.carried_over,
            )
            for a in valid.answers
        )
        if valid.independent is not None:
            from respondents.transfer import respondents_import

            respondents_import(assessment=assessment, valid=valid.independent, user=user, now=now)
        source_id = data.get("id")
        entries = [
            AuditEntry(
                assessment=assessment,
                user=user,
                at=now,
                action=AuditEntry.Action.IMPORTED,
                subject="json",
                new={
                    "organisation": valid.organisation_name,
                    "site": valid.site_name,
                    "status": valid.status,
                    "answers": len(valid.answers),
                    **({"marked for review": len(valid.review)} if valid.review else {}),
                    **(
                        {"respondents": len(valid.independent.respondents)}
                        if valid.independent is not None
                        else {}
                    ),
                    # The id it had where it was exported, to trace the copy back.
                    "source_id": source_id if type(source_id) is int else None,
                },
            )
        ]
        entries.extend(
            AuditEntry(
                assessment=assessment,
                user=user,
                at=now,
                action=AuditEntry.Action.ANSWER,
                subject=a.question.key,
                old=None,
                new={
                    "value": a.entry.value,
                    "comment": a.entry.comment,
                    "evidence": a.entry.evidence,
                },
            )
            for a in valid.answers
        )
        AuditEntry.objects.bulk_create(entries)
        # Only targets that differ from the instrument's are stored, as the targets page does.
        assessment.targets = {
            d.key: float(valid.targets[d.key])
            for d in instrument_content(valid.instrument).domains
            if d.key in valid.targets and valid.targets[d.key] != d.effective_target
        }
        assessment.revision = 1
        assessment.review_flags = ordered_flags(assessment, valid.review)
        assessment.save(update_fields=["targets", "revision", "review_flags"])
        if valid.status in (Assessment.Status.SUBMITTED, Assessment.Status.REOPENED):
            assessment_submit(assessment=assessment, user=user)
        if valid.status == Assessment.Status.REOPENED:
            # A reopened assessment was submitted once and keeps those results, as in the app.
            assessment_reopen(assessment=assessment, user=user)  # type: ignore[arg-type]
    return assessment
