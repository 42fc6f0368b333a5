from __future__ import annotations

from django.urls import path

from assessments import (
    admin_views,
    help_views,
    invitation_views,
    questionnaire_views,
    record_views,
    review_views,
    rounds_views,
    transfer_views,
    views,
)

app_name = "assessments"

organisation_urls = [
    path("o/<slug:slug>/", views.organisation, name="organisation"),
    path("o/<slug:slug>/sites/", admin_views.manage_sites, name="manage-sites"),
    path("o/<slug:slug>/sites/<id:pk>/", admin_views.edit_site, name="edit-site"),
    path("o/<slug:slug>/members/", admin_views.members, name="members"),
    path("o/<slug:slug>/members/<id:pk>/", admin_views.edit_member, name="edit-member"),
    path("o/<slug:slug>/members/<id:pk>/remove/", admin_views.remove_member, name="remove-member"),
    path(
        "o/<slug:slug>/members/<id:pk>/resend/",
        invitation_views.resend_member_invitation,
        name="resend-member-invitation",
    ),
    path(
        "o/<slug:slug>/invitations/<id:pk>/resend/",
        invitation_views.resend_invitation,
        name="resend-invitation",
    ),
    path(
        "o/<slug:slug>/invitations/<id:pk>/revoke/",
        invitation_views.revoke_invitation,
        name="revoke-invitation",
    ),
    path("o/<slug:slug>/instruments/", admin_views.instruments, name="instruments"),
    path("o/<slug:slug>/import/", transfer_views.import_json, name="import-json"),
]

assessment_urls = [
    path("a/<id:pk>/", views.detail, name="detail"),
    path("a/<id:pk>/take/", questionnaire_views.take, name="take"),
    path("a/<id:pk>/d/<str:key>/", questionnaire_views.domain, name="domain"),
    path("a/<id:pk>/d/<str:key>/confirm/", views.confirm_carried_over, name="confirm-carried"),
    path("a/<id:pk>/q/<str:key>/review/", review_views.review_flag, name="review-flag"),
    path("a/<id:pk>/submit/", views.submit, name="submit"),
    path("a/<id:pk>/reopen/", record_views.reopen, name="reopen"),
    path("a/<id:pk>/targets/", record_views.targets, name="targets"),
    path("a/<id:pk>/history/", record_views.history, name="history"),
    path("a/<id:pk>/export.json", transfer_views.export_json, name="export-json"),
    path("a/<id:pk>/next-round/", rounds_views.next_round, name="next-round"),
    path("a/<id:pk>/changes/", rounds_views.changes, name="round-diff"),
    path("a/<id:pk>/move-version/", rounds_views.move_version, name="move-version"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("help/", help_views.help_page, name="help"),
    *organisation_urls,
    path("sites/<id:pk>/", views.site, name="site"),
    path("invitations/<str:token>/", invitation_views.accept_invitation, name="accept-invitation"),
    *assessment_urls,
]
