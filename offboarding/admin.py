"""The offboarding log in the Django admin, and the superuser's pages that export and delete
an organisation (custom admin views under the log's URLs)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods, require_POST

from assessments.http import private_no_store
from assessments.models import Organisation
from offboarding.forms import ConfirmDeleteForm
from offboarding.models import OffboardingLog
from offboarding.services import (
    OffboardingError,
    organisation_counts,
    organisation_delete,
    organisation_export,
)


def _superuser(request: HttpRequest) -> None:
    # Staff who are not superusers get the admin's answer to a page they may not use.
    if not request.user.is_superuser:
        raise PermissionDenied


def _organisation(pk: int) -> Organisation:
    organisation = Organisation.objects.filter(pk=pk).first()
    if organisation is None:
        raise Http404
    return organisation


@admin.register(OffboardingLog)
class OffboardingLogAdmin(admin.ModelAdmin):
    list_display = (
        "at",
        "action",
        "organisation_name",
        "organisation_id",
        "performed_by_name",
        "via",
    )
    list_filter = ("action", "via")
    search_fields = ("organisation_name", "organisation_slug", "performed_by_name")
    readonly_fields = [f.name for f in OffboardingLog._meta.fields]
    change_list_template = "admin/offboarding/offboardinglog/change_list.html"

    # The log is a record: nobody adds, edits or deletes it here. Only superusers see it.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("organisations/", view(self.choose_view), name="offboarding_choose"),
            path(
                "organisations/<id:pk>/",
                view(self.organisation_view),
                name="offboarding_organisation",
            ),
            path(
                "organisations/<id:pk>/export/",
                view(self.export_view),
                name="offboarding_export",
            ),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **extra,
        }

    def choose_view(self, request: HttpRequest) -> HttpResponse:
        _superuser(request)
        context = self._context(
            request,
            "Offboard an organisation",
            organisations=Organisation.objects.order_by("name"),
        )
        return TemplateResponse(request, "admin/offboarding/choose.html", context)

    @method_decorator(require_http_methods(["GET", "POST"]))
    def organisation_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        _superuser(request)
        organisation = _organisation(pk)
        form = ConfirmDeleteForm(organisation=organisation)
        if request.method == "POST":
            form = ConfirmDeleteForm(request.POST, organisation=organisation)
            if form.is_valid():
                name = organisation.name
                try:
                    organisation_delete(
                        organisation=organisation,
                        confirm_name=form.cleaned_data["name"],
                        user=request.user,  # type: ignore[arg-type]
                        via="admin",
                    )
                except OffboardingError as exc:
                    form.add_error("name", str(exc))
                else:
                    messages.success(
                        request, f"{name} and everything it held were deleted; see the log."
                    )
                    return redirect("admin:offboarding_offboardinglog_changelist")
        context = self._context(
            request,
            f"Offboard {organisation.name}",
            organisation=organisation,
            counts=[
                (key.replace("_", " ").capitalize(), value)
                for key, value in organisation_counts(organisation).items()
            ],
            form=form,
            exports=OffboardingLog.objects.filter(
                organisation_id=organisation.pk, action=OffboardingLog.Action.EXPORTED
            )[:5],
        )
        response = TemplateResponse(
            request,
            "admin/offboarding/organisation.html",
            context,
            status=422 if form.errors else 200,
        )
        return private_no_store(response)

    @method_decorator(require_POST)
    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        _superuser(request)
        organisation = _organisation(pk)
        export = organisation_export(
            organisation=organisation,
            user=request.user,  # type: ignore[arg-type]
            via="admin",
        )
        response = HttpResponse(export.content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return private_no_store(response)
