"""Who may see what (organisations, sites, memberships), the instruments, and assessments."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from assessments import audit_source
from assessments.audit_source import Via

if TYPE_CHECKING:
    from assessments.scoring import AssessmentResult, InstrumentSpec


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    # Report branding, set by an org admin or a consultant of the organisation.
    report_title = models.CharField(max_length=200, blank=True)
    report_logo = models.ImageField(upload_to="logos/", blank=True)
    report_signoff = models.CharField(max_length=200, blank=True)
    # Paper of the PDF report. Letter by default: the instruments cite US rules (HIPAA,
    # 42 CFR Part 2) and the clinics they are written for print on Letter.
    report_page_size = models.CharField(
        max_length=6,
        choices=[("letter", "US Letter (8.5 × 11 in)"), ("a4", "A4 (210 × 297 mm)")],
        default="letter",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    class Kind(models.TextChoices):
        CLINIC = "clinic", "Clinic"
        HOSPITAL = "hospital", "Hospital"
        PRACTICE = "practice", "Practice"
        MENTAL_HEALTH = "mental_health", "Mental-health service"
        OTHER = "other", "Other"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CLINIC)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="unique_site_name_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("assessments:site", args=[self.pk])


class Membership(models.Model):
    class Role(models.TextChoices):
        ORG_ADMIN = "org_admin", "Organisation admin"
        SITE_ADMIN = "site_admin", "Site admin"
        CONSULTANT = "consultant", "Consultant"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    # Only for site admins: the sites they administer.
    sites = models.ManyToManyField(Site, blank=True, related_name="site_admins")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.organisation}"


class Instrument(models.Model):
    """One version of a questionnaire, loaded from a YAML file; immutable once loaded."""

    slug = models.SlugField(max_length=80)
    version = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    default_target = models.DecimalField(max_digits=5, decimal_places=1, default=Decimal(60))
    # A counted critical item scoring below this fraction of its top option is a blocker
    # (PRODUCT.md, "Critical items"): 0 < b <= 1, at most two decimals.
    blocker_below = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0.5"))
    content_hash = models.CharField(max_length=64)
    source_name = models.CharField(max_length=255, blank=True)
    # None for the instruments shipped with the app; set for an organisation's own upload.
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="instruments"
    )
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug", "version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="unique_instrument_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.version}"

    def spec(self) -> InstrumentSpec:
        from assessments.content import instrument_spec

        return instrument_spec(self)


class Domain(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="domains")
    key = models.CharField(max_length=80)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    weight = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal(1))
    target = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["instrument", "order"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "key"], name="unique_domain_key")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def effective_target(self) -> Decimal:
        return self.target if self.target is not None else self.instrument.default_target


class Question(models.Model):
    class Type(models.TextChoices):
        SCALE = "scale", "Maturity scale"
        YES_NO = "yes_no", "Yes / no"
        CHOICE = "choice", "Single choice"
        TEXT = "text", "Free text"

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="questions")
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="questions")
    key = models.CharField(max_length=120)
    type = models.CharField(max_length=10, choices=Type.choices)
    text = models.TextField()
    help = models.TextField(blank=True)
    weight = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal(1))
    critical = models.BooleanField(default=False)
    allow_na = models.BooleanField(default=True)
    recommendation = models.TextField(blank=True)
    references = models.JSONField(default=list, blank=True)
    show_if_question = models.CharField(max_length=120, blank=True)
    show_if_values = models.JSONField(default=list, blank=True)
    # [{"value": "0", "label": "Not started", "score": 0}, ...], expanded from the defaults.
    options = models.JSONField(default=list, blank=True)
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["instrument", "order"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "key"], name="unique_question_key")
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def scored(self) -> bool:
        return self.type != self.Type.TEXT

    def option_label(self, value: str) -> str:
        for option in self.options:
            if option["value"] == value:
                return str(option["label"])
        return value


def round_key(label: str) -> str:
    """The form of a round name that decides whether two names are the same round.

    Case and runs of spaces do not make another round: "2026 Spring" is "2026  spring".
    Computed in Python (not the database's LOWER, which SQLite applies to ASCII only), so
    SQLite and PostgreSQL enforce the same rule.
    """
    return " ".join(label.split()).casefold()


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def with_context(self) -> AssessmentQuerySet:
        return self.select_related("site__organisation", "instrument")


class Assessment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        REOPENED = "reopened", "Reopened"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="assessments")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="assessments")
    round_label = models.CharField(max_length=100)
    # Copies kept in step by save(), so that a constraint can hold one assessment per site,
    # instrument (any version) and round: the slug lives on the instrument version, and a
    # database constraint cannot follow a foreign key. See round_key() for the round's form.
    instrument_slug = models.SlugField(max_length=80, editable=False, default="")
    # casefold() can lengthen a name ("ß" -> "ss"): room for three times the label.
    round_key = models.CharField(max_length=300, editable=False, default="")
    round_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # {domain key: target score}; a domain missing here uses the instrument's target.
    targets = models.JSONField(default=dict, blank=True)
    # The round this one was carried over from ("Start the next round").
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_rounds"
    )
    last_domain_key = models.CharField(max_length=80, blank=True)
    # Question keys someone marked "for review": a working note for everyone who edits the
    # assessment (audited, in the JSON file), never part of the results or the reports. Kept
    # on the row the questionnaire already reads, so the page needs no extra query.
    review_flags = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every change to answers, targets or status; the PDF cache keys on it.
    revision = models.PositiveIntegerField(default=0)

    # Results stored at submission, so that comparisons read them instead of recomputing.
    result_score = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    result_level = models.PositiveSmallIntegerField(null=True, blank=True)
    result_verdict = models.CharField(max_length=40, blank=True)
    result_provisional = models.BooleanField(default=False)
    result_completeness = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    results = models.JSONField(null=True, blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-round_date", "-created_at"]
        indexes = [models.Index(fields=["site", "status", "round_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "instrument_slug", "round_key"],
                name="one_assessment_per_site_instrument_round",
            )
        ]

    def __str__(self) -> str:
        return f"{self.site} — {self.round_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        derived = []
        if update_fields is None or "instrument" in update_fields:
            self.instrument_slug = self.instrument.slug
            derived.append("instrument_slug")
        if update_fields is None or "round_label" in update_fields:
            self.round_key = round_key(self.round_label)
            derived.append("round_key")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *derived}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("assessments:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status != self.Status.SUBMITTED

    def answer_values(self) -> dict[str, str]:
        return {key: value for key, value in self.answers.values_list("question__key", "value")}

    def target_for(self, domain: Domain) -> Decimal:
        if domain.key in self.targets:
            return Decimal(str(self.targets[domain.key]))
        return domain.effective_target

    def compute_results(
        self, answers: dict[str, str] | None = None, *, with_plan: bool = True
    ) -> AssessmentResult:
        from assessments.scoring import score_assessment

        values = self.answer_values() if answers is None else answers
        targets = {key: Decimal(str(value)) for key, value in self.targets.items()}
        return score_assessment(self.instrument.spec(), values, targets, with_plan=with_plan)


class DomainResult(models.Model):
    """One domain's stored result of a submitted assessment (what comparisons aggregate)."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="domain_results"
    )
    domain_key = models.CharField(max_length=80)
    order = models.PositiveIntegerField()
    score = models.DecimalField(max_digits=4, decimal_places=1, null=True)
    level = models.PositiveSmallIntegerField(null=True)
    completeness = models.DecimalField(max_digits=4, decimal_places=1, null=True)
    target = models.DecimalField(max_digits=4, decimal_places=1)
    gap = models.DecimalField(max_digits=4, decimal_places=1, null=True)
    applicable = models.BooleanField(default=True)
    blockers = models.JSONField(default=list)

    class Meta:
        ordering = ["assessment", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "domain_key"], name="unique_domain_result"
            )
        ]

    def __str__(self) -> str:
        return f"{self.domain_key}: {self.score}"


class Answer(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    # An option value, "na", or the text of a free-text question; "" means not answered.
    value = models.TextField(blank=True)
    comment = models.TextField(blank=True)
    evidence = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(default=timezone.now)
    # Optimistic concurrency: a save names the revision it started from.
    revision = models.PositiveIntegerField(default=1)
    # Prefilled from the previous round and not yet confirmed or changed.
    carried_over = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question"], name="one_answer_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question.key}={self.value}"

    def snapshot(self) -> dict[str, Any]:
        return {"value": self.value, "comment": self.comment, "evidence": self.evidence}


class AuditEntry(models.Model):
    """Who did what and when: changes to answers, targets and status, and reads of reports."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        ANSWER = "answer", "Answer changed"
        STATUS = "status", "Status changed"
        TARGET = "target", "Target changed"
        IMPORTED = "imported", "Imported"
        RENAMED = "renamed", "Round renamed"
        VIEWED = "viewed", "Report viewed"
        EXPORTED = "exported", "Exported"
        REVIEW = "review", "Review flag"
        # Files attached to answers (evidence/, issue 14); the subject is the question key.
        EVIDENCE_ADDED = "evidence_added", "Evidence file added"
        EVIDENCE_DELETED = "evidence_deleted", "Evidence file deleted"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="audit")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20, choices=Action.choices)
    # The question key, domain key or report name the entry is about.
    subject = models.CharField(max_length=120, blank=True)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    # "api" for a change made through the REST API (assessments/audit_source.py).
    via = models.CharField(
        max_length=10, blank=True, choices=Via.choices, default=audit_source.current_via
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["assessment", "at"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.subject}"


class ExportRecord(models.Model):
    """Who exported data spanning many assessments (comparison tables), and when.

    Reads of one assessment's report or JSON are AuditEntry rows of that assessment; an
    export across sites belongs to the organisation instead.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="export_records"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40)
    rows = models.PositiveIntegerField(default=0)
    filters = models.JSONField(default=dict, blank=True)
    via = models.CharField(
        max_length=10, blank=True, choices=Via.choices, default=audit_source.current_via
    )

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.kind} ({self.rows} rows)"


class Invitation(models.Model):
    """An email address asked to join an organisation with a role; a membership only once accepted.

    Only a hash of the link's token is stored: a leaked database does not hold working links.
    Resending replaces the token, so an older link stops working.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=20, choices=Membership.Role.choices)
    sites = models.ManyToManyField(Site, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "email"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation} ({self.get_role_display()})"

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked (it may still have expired)."""
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class MemberEvent(models.Model):
    """The members' audit trail of an organisation: who invited, resent, revoked, accepted."""

    class Action(models.TextChoices):
        INVITED = "invited", "Invited"
        RESENT = "resent", "Invitation resent"
        REVOKED = "revoked", "Invitation revoked"
        ACCEPTED = "accepted", "Invitation accepted"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="member_events"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20, choices=Action.choices)
    email = models.EmailField(max_length=254)
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.email}"
