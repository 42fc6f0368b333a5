from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from accounts.forms import EmailAuthenticationForm
from assessments.admin_forms import SetPasswordLinkForm
from assessments.converters import IdConverter
from assessments.security import ThrottledPasswordResetView
from assessments.views import favicon

register_converter(IdConverter, "id")

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True,
            authentication_form=EmailAuthenticationForm,
            # LoginView sets site_name to the host name; the page's brand is the app's name.
            extra_context={"site_name": settings.SITE_NAME},
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/reset/",
        ThrottledPasswordResetView.as_view(form_class=SetPasswordLinkForm),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico whatever the page links; answer with the real icon.
    path("favicon.ico", favicon),
    path("", include("accounts.urls")),
    # The REST API (api/) and the API tokens page of a person's account.
    path("api/v1/", include("api.urls")),
    path("", include("api.page_urls")),
    path("", include("reports.urls")),
    path("", include("actions.urls")),
    path("", include("benchmark.urls")),
    path("", include("respondents.urls")),
    path("", include("evidence.urls")),
    path("", include("assessments.urls")),
]
