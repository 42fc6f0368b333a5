"""Django admin: people, organisations and sites are edited here; content and records are not.

Instruments come from files (a loaded version never changes), answers change only through the
questionnaire (which keeps the audit trail), and the audit trail itself is never edited. Those
models are read-only here. Because the audit entries cannot be deleted, deleting an
organisation, site or assessment that has any is refused too: archive a site instead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    Domain,
    DomainResult,
    ExportRecord,
    Instrument,
    Membership,
    Organisation,
    Question,
    Site,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by staff with the view permission; never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- people, organisations, sites ---------------------------------------------------------------


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ("name", "kind", "archived")
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "kind", "archived", "created_at")
    list_filter = ("archived", "kind", "organisation")
    list_select_related = ("organisation",)
    search_fields = ("name", "organisation__name")


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "organisation", "role", "sites")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        organisation = cleaned.get("organisation")
        sites = cleaned.get("sites") or []
        # The widget lists every organisation's sites; a membership may only name its own.
        if organisation is not None and any(s.organisation_id != organisation.pk for s in sites):
            self.add_error("sites", "Choose sites of the membership's organisation only.")
        if cleaned.get("role") == Membership.Role.SITE_ADMIN and not sites:
            self.add_error("sites", "A site admin needs at least one site.")
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ("user", "organisation", "role", "created_at")
    list_filter = ("role", "organisation")
    list_select_related = ("user", "organisation")
    search_fields = ("user__username", "user__email", "user__first_name", "user__last_name")
    autocomplete_fields = ("user", "organisation")
    filter_horizontal = ("sites",)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        if db_field.name == "sites":
            kwargs["queryset"] = Site.objects.select_related("organisation").order_by(
                "organisation__name", "name"
            )
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.name == "sites":
            # Two organisations may both have a "Main Clinic": say whose each one is.
            field.label_from_instance = lambda site: f"{site.organisation} · {site.name}"  # type: ignore[method-assign,assignment]
        return field


# --- instrument content: loaded from files ----------------------------------------------------


class DomainInline(ReadOnlyInline):
    model = Domain
    fields = ("order", "key", "title", "weight", "target")


@admin.register(Instrument)
class InstrumentAdmin(ReadOnlyAdmin):
    list_display = ("title", "slug", "version", "organisation", "loaded_at")
    list_filter = ("organisation",)
    list_select_related = ("organisation",)
    search_fields = ("title", "slug")
    inlines = [DomainInline]


@admin.register(Domain)
class DomainAdmin(ReadOnlyAdmin):
    list_display = ("key", "title", "instrument", "order", "weight", "target")
    list_filter = ("instrument",)
    list_select_related = ("instrument",)
    search_fields = ("key", "title")


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    list_display = ("key", "instrument", "domain", "type", "weight", "critical", "allow_na")
    list_filter = ("instrument", "type", "critical")
    list_select_related = ("instrument", "domain")
    search_fields = ("key", "text")


# --- assessments and their records --------------------------------------------------------------


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = (
        "round_label",
        "site",
        "organisation",
        "instrument",
        "status",
        "round_date",
        "result_score",
        "result_verdict",
        "updated_at",
    )
    list_filter = ("status", "instrument", "site__organisation", "round_date")
    list_select_related = ("site__organisation", "instrument")
    search_fields = ("round_label", "site__name", "site__organisation__name")
    date_hierarchy = "round_date"
    # Answers, status and targets change in the app, which keeps the audit trail and the
    # stored results consistent; only the round's name and date are corrected here.
    fields = (
        "site",
        "instrument",
        "round_label",
        "round_date",
        "status",
        "targets",
        "previous",
        "created_by",
        "created_at",
        "updated_at",
        "submitted_at",
        "revision",
        "result_score",
        "result_level",
        "result_verdict",
        "result_provisional",
        "result_completeness",
    )
    readonly_fields = tuple(f for f in fields if f not in ("round_label", "round_date"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Organisation", ordering="site__organisation__name")
    def organisation(self, obj: Assessment) -> Organisation:
        return obj.site.organisation


@admin.register(DomainResult)
class DomainResultAdmin(ReadOnlyAdmin):
    list_display = ("assessment", "domain_key", "score", "level", "completeness", "target", "gap")
    list_select_related = ("assessment__site",)
    search_fields = ("domain_key", "assessment__site__name")


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    list_display = ("assessment", "question", "value", "answered_by", "answered_at", "revision")
    list_select_related = ("assessment__site", "question", "answered_by")
    list_filter = ("carried_over",)
    search_fields = ("question__key", "assessment__site__name", "value")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "action", "subject", "assessment")
    list_filter = ("action",)
    list_select_related = ("user", "assessment__site")
    search_fields = ("subject", "assessment__site__name", "user__username")
    date_hierarchy = "at"


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "organisation", "kind", "rows")
    list_filter = ("kind", "organisation")
    list_select_related = ("user", "organisation")
    date_hierarchy = "at"
