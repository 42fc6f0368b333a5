"""Forms of the organisation admin screens: sites, members, invitations, instrument uploads,
and the set-password link sent to new members."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.forms import PasswordResetForm

from assessments.display import file_size
from assessments.forms import IdModelMultipleChoiceField
from assessments.instrument_reader import read_instrument
from assessments.instruments import InstrumentDef, InstrumentError
from assessments.models import Membership, Organisation, Site


class SiteForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=200,
        help_text="As people in the organisation call it; unique within the organisation.",
        error_messages={"required": "Give the site a name."},
    )
    kind = forms.ChoiceField(label="Kind", choices=Site.Kind.choices, initial=Site.Kind.CLINIC)

    def __init__(
        self, *args: Any, organisation: Organisation, site: Site | None = None, **kwargs: Any
    ) -> None:
        if site is not None:
            kwargs.setdefault("initial", {"name": site.name, "kind": site.kind})
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.site = site

    def clean_name(self) -> str:
        # Runs of spaces are collapsed so that "North  Clinic" is not a second "North Clinic".
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the site a name.")
        others = Site.objects.filter(organisation=self.organisation, name__iexact=name)
        if self.site is not None:
            others = others.exclude(pk=self.site.pk)
        clash = others.first()
        if clash is not None:
            hint = " It is archived: restore it instead." if clash.archived else ""
            raise forms.ValidationError(
                f"A site named “{clash.name}” already exists in this organisation.{hint}"
            )
        return name


ROLE_HELP = (
    "Organisation admins manage sites, members and instruments. Site admins fill out the "
    "assessments of their sites. Consultants review, import and brand reports. Viewers read."
)


class _MemberRoleForm(forms.Form):
    """Role and sites, shared by adding and editing a member."""

    # No preselected role: adding someone as an organisation admin by accident is costly.
    role = forms.ChoiceField(
        label="Role",
        choices=[("", "Choose a role…"), *Membership.Role.choices],
        help_text=ROLE_HELP,
        error_messages={"required": "Choose a role."},
    )
    sites = IdModelMultipleChoiceField(
        label="Sites",
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For site admins only: the sites they fill out assessments for.",
        error_messages={"invalid_choice": "Choose sites of this organisation only."},
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        # Only this organisation's sites can be chosen: a posted id of another one is invalid.
        sites = self.fields["sites"]
        sites.queryset = Site.objects.filter(organisation=organisation)  # type: ignore[attr-defined]
        sites.label_from_instance = lambda s: f"{s.name} (archived)" if s.archived else s.name  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        site_admin = cleaned.get("role") == Membership.Role.SITE_ADMIN
        if site_admin and "sites" not in self.errors and not cleaned.get("sites"):
            self.add_error("sites", "Choose at least one site for a site admin.")
        return cleaned

    def chosen_sites(self) -> list[Site]:
        """The sites to keep: none unless the role is site admin."""
        if self.cleaned_data["role"] != Membership.Role.SITE_ADMIN:
            return []
        return list(self.cleaned_data["sites"])


class InvitationForm(_MemberRoleForm):
    """Invite an email address; what happens next never depends on whether it has an account."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="They get a link to join; they choose their name and password when accepting.",
        error_messages={"required": "Give the person's email address."},
    )

    field_order = ["email", "role", "sites"]

    def clean_email(self) -> str:
        email = BaseUserManager.normalize_email(self.cleaned_data["email"].strip())
        # Members are listed on this page already: saying so tells nothing new. Whether the
        # address has an account elsewhere is never said.
        existing = (
            Membership.objects.filter(organisation=self.organisation, user__email__iexact=email)
            .select_related("user")
            .first()
        )
        if existing is not None:
            raise forms.ValidationError(
                f"{email} already belongs to this organisation "
                f"({existing.get_role_display()}): change their role in the list instead."
            )
        return email


class AcceptInvitationForm(forms.Form):
    """A name and password for someone who accepts an invitation without an account."""

    first_name = forms.CharField(
        label="First name", max_length=150, error_messages={"required": "Give your first name."}
    )
    last_name = forms.CharField(
        label="Last name", max_length=150, error_messages={"required": "Give your last name."}
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Choose a password."},
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Type the password again."},
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_first_name(self) -> str:
        name = " ".join(str(self.cleaned_data["first_name"]).split())
        if not name:
            raise forms.ValidationError("Give your first name.")
        return name

    def clean_last_name(self) -> str:
        name = " ".join(str(self.cleaned_data["last_name"]).split())
        if not name:
            raise forms.ValidationError("Give your last name.")
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            # The password validators judge it against the person it is for.
            user = get_user_model()(
                email=self.email,
                username=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class MemberEditForm(_MemberRoleForm):
    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"role": membership.role, "sites": list(membership.sites.all())}
        )
        super().__init__(*args, organisation=membership.organisation, **kwargs)
        self.membership = membership


# An upload with hundreds of problems is a wrong file: the first ones say enough.
MAX_PROBLEMS_SHOWN = 50


class InstrumentUploadForm(forms.Form):
    file = forms.FileField(
        label="Instrument file (YAML)",
        help_text=(
            "One instrument version per file, in the format of the shipped instruments. "
            "A loaded version cannot change: to change questions, give the file a new version."
        ),
        error_messages={"required": "Choose an instrument file to upload."},
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,application/yaml,text/yaml"}),
    )

    def clean_file(self) -> InstrumentDef:
        """The validated content of the upload (not yet in the database)."""
        upload = self.cleaned_data["file"]
        limit = settings.UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {file_size(upload.size)}; instrument files up to "
                f"{file_size(limit)} can be uploaded."
            )
        self.file_name = str(upload.name or "uploaded file")
        try:
            # The loader checks UTF-8 and YAML and reports every problem with its key.
            return read_instrument(upload.read(), name=self.file_name)
        except InstrumentError as exc:
            raise forms.ValidationError(problem_lines(exc)) from exc


def problem_lines(exc: InstrumentError) -> list[str]:
    """The problems of an instrument file as "file: key: reason" lines, the first ones only."""
    lines = [str(problem) for problem in exc.problems[:MAX_PROBLEMS_SHOWN]]
    hidden = len(exc.problems) - len(lines)
    if hidden > 0:
        lines.append(f"… and {hidden} more problem{'s' if hidden > 1 else ''}.")
    return lines


class SetPasswordLinkForm(PasswordResetForm):
    """Password reset that also reaches members added by email who never set a password.

    Django's form skips users with an unusable password; here that is exactly the new
    member who needs the link.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        UserModel = get_user_model()
        email_field = UserModel.get_email_field_name()
        return (
            user
            for user in UserModel._default_manager.filter(
                **{f"{email_field}__iexact": email, "is_active": True}
            )
            if _email_matches(getattr(user, email_field), email)
        )


def _email_matches(stored: str | None, given: str) -> bool:
    return stored is not None and stored.casefold() == given.casefold()
