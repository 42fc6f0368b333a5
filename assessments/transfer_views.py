"""The assessment JSON in the app: download one assessment, upload one into an organisation."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from assessments import access
from assessments.display import file_size
from assessments.forms import ImportForm
from assessments.http import AuthenticatedHttpRequest
from assessments.transfer import assessment_import
from assessments.transfer_checks import TransferError
from assessments.transfer_export import (
    assessment_export_log,
    dumps,
    export_assessment,
    export_filename,
)


@login_required
@require_GET
def export_json(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment, _ = access.get_assessment_for_user(request.user.pk, pk, "report")
    # Made for this person: a respondent still answering gets nobody else's answers.
    text = dumps(export_assessment(assessment, viewer=request.user))
    assessment_export_log(assessment=assessment, user_id=request.user.pk)
    response = HttpResponse(text.encode(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(assessment)}"'
    return response


@login_required
def import_json(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    membership = access.get_organisation_for_user(request.user.pk, slug, "import")
    organisation = membership.organisation
    can_add_sites = access.allows(membership, "manage")
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            # Imported here: the evidence app builds on assessments, never the reverse.
            from evidence.transfer import assessment_import_zip, files_listed

            data = form.cleaned_data["file"]
            try:
                if isinstance(data, UploadedFile):  # an export with evidence (ZIP)
                    assessment = assessment_import_zip(
                        archive=data,  # type: ignore[arg-type]
                        size=data.size or 0,
                        user=request.user,
                        organisation=organisation,
                        allow_new_site=can_add_sites,
                    )
                    left_out = 0
                else:
                    assessment = assessment_import(
                        data=data,
                        user=request.user,
                        # Into the organisation of this page, whatever the file's says.
                        organisation=organisation,
                        allow_new_site=can_add_sites,
                    )
                    left_out = files_listed(data)
            except TransferError as exc:
                form.add_error("file", exc.lines())
            else:
                messages.success(
                    request,
                    f"Assessment imported into {assessment.site.name} "
                    f"({assessment.get_status_display().lower()}); results were recomputed.",
                )
                if left_out:
                    messages.warning(
                        request,
                        f"The file lists {left_out} evidence file{'s' if left_out > 1 else ''}; "
                        "their content travels only in an export with evidence (ZIP), so they "
                        "were not imported.",
                    )
                return redirect(assessment)
    else:
        form = ImportForm()
    return render(
        request,
        "assessments/import.html",
        {
            "current_membership": membership,
            "organisation": organisation,
            "form": form,
            "can_add_sites": can_add_sites,
            "max_size": file_size(settings.UPLOAD_MAX_BYTES),
            "max_zip_size": file_size(settings.EVIDENCE_ZIP_MAX_BYTES),
        },
        status=422 if form.errors else 200,
    )
