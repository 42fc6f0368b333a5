"""The forms of the reports app: report branding (title, logo and sign-off of an
organisation's reports) and the comparison page's filters."""

from __future__ import annotations

import datetime
import io
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.html import format_html
from PIL import Image, UnidentifiedImageError

from assessments.forms import MAX_ID
from assessments.models import Assessment, Membership, Organisation, Site
from reports.comparison import PER_PAGE_CHOICES, CompareOptions, visible_site_ids
from reports.models import ConsultantBranding
from reports.report_options import SECTION_CHOICES

LOGO_MAX_BYTES = 1024 * 1024
# A larger logo is scaled down to fit this box (the cover shows it a few centimetres wide).
LOGO_MAX_PIXELS = 2000
# Beyond this many pixels a 1 MB file is a decompression bomb, not a logo: refused.
LOGO_MAX_SOURCE_PIXELS = 40_000_000
LOGO_FORMATS = {"PNG", "JPEG"}
if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[Organisation]
    _ConsultantModelForm = forms.ModelForm[ConsultantBranding]
else:  # ModelForm is generic for the type checker only
    _ModelForm = forms.ModelForm
    _ConsultantModelForm = forms.ModelForm

NOT_AN_IMAGE = (
    "Upload a PNG or JPEG image. This file is not one (SVG, GIF and PDF are not accepted)."
)


class LogoLink:
    """The stored logo as the file widget shows it: a link to the access-checked logo view.

    Uploaded files are not served under /media/ in production, so the widget's default link
    to the file's storage URL would be dead.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = "Current logo (PNG)"

    def __str__(self) -> str:
        return self.name


class LogoField(forms.FileField):
    """A file field that leaves image checks to BrandingForm.clean_report_logo.

    Django's ImageField would already open the file with Pillow, but with a generic message;
    the form gives one message per problem instead (size, format, dimensions).
    """


def _logo_field() -> LogoField:
    return LogoField(
        label="Logo",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
        help_text=(
            "PNG or JPEG, at most 1 MB. A logo wider or taller than 2000 pixels is scaled "
            "down. It is stored as PNG and shown on the report cover."
        ),
    )


TITLE_HELP = (
    'Shown on the cover and the running header, e.g. "AI readiness review".'
    " Leave empty for the default title."
)


class _LogoFormMixin:
    """The logo and title checks shared by the organisation's and a consultant's branding."""

    cleaned_data: dict[str, Any]
    initial: Any
    instance: Any

    def _init_logo(self, logo_url: str) -> None:
        if self.instance.report_logo and logo_url:
            self.initial["report_logo"] = LogoLink(logo_url)

    def clean_report_title(self) -> str:
        return " ".join(self.cleaned_data["report_title"].split())

    def _logo_name(self) -> str:
        return "logo"

    def clean_report_logo(self) -> Any:
        upload = self.cleaned_data.get("report_logo")
        if isinstance(upload, LogoLink):
            return self.instance.report_logo  # kept as it is
        if not isinstance(upload, UploadedFile):
            return upload  # unchanged (the stored file), cleared (False) or empty
        if upload.size is not None and upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(
                "The logo is %(size)s; the limit is 1 MB. Save it smaller and upload it again.",
                params={"size": f"{upload.size / (1024 * 1024):.1f} MB"},
            )
        return ContentFile(_reencode_logo(upload), name=f"{self._logo_name()}.png")


class BrandingForm(_LogoFormMixin, _ModelForm):
    """An organisation's branding, for its own staff's reports, and its paper size."""

    report_logo = _logo_field()

    class Meta:
        model = Organisation
        fields = ["report_title", "report_logo", "report_page_size"]
        labels = {"report_title": "Report title", "report_page_size": "Paper size of the PDF"}
        help_texts = {
            "report_title": TITLE_HELP,
            "report_page_size": "US Letter is what clinics in the United States print on; "
            "A4 elsewhere.",
        }

    def __init__(self, *args: Any, logo_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_logo(logo_url)
        # Left out of a post (an older form, a script): the current setting stays.
        self.fields["report_page_size"].required = False

    def clean_report_page_size(self) -> str:
        return str(self.cleaned_data.get("report_page_size") or self.instance.report_page_size)

    def _logo_name(self) -> str:
        return self.instance.slug or "organisation"


class ConsultantBrandingForm(_LogoFormMixin, _ConsultantModelForm):
    """A consultant's own branding: on the reports they export for any client."""

    report_logo = _logo_field()

    class Meta:
        model = ConsultantBranding
        fields = ["report_title", "report_logo", "report_signoff"]
        labels = {"report_title": "Report title", "report_signoff": "Name you sign with"}
        help_texts = {
            "report_title": TITLE_HELP,
            "report_signoff": 'Printed when you tick "Sign this report" on a submitted '
            'assessment, e.g. "Marcus Bell, Bell Health Advisory". Empty: your name.',
        }

    def __init__(self, *args: Any, logo_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_logo(logo_url)

    def clean_report_signoff(self) -> str:
        return " ".join(self.cleaned_data["report_signoff"].split())

    def _logo_name(self) -> str:
        return f"consultant-{self.instance.user_id or 'new'}"


class ReportExportForm(forms.Form):
    """What goes into an exported report (GET on the PDF's URL)."""

    preset = forms.ChoiceField(
        label="Report",
        required=False,
        choices=[
            ("full", "Full report (the sections chosen below)"),
            ("board", "Board summary: cover, verdict, blockers, top gaps, first actions"),
        ],
        widget=forms.RadioSelect,
    )
    sections = forms.MultipleChoiceField(
        label="Sections",
        required=False,
        choices=SECTION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every section. The cover is always included.",
    )
    sign = forms.BooleanField(label="Sign this report", required=False)

    def __init__(self, *args: Any, assessment: Assessment, signer: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.assessment = assessment
        self.initial.setdefault("preset", "full")
        if not self.is_bound:
            self.initial.setdefault("sections", [key for key, _ in SECTION_CHOICES])
        submitted = assessment.status == Assessment.Status.SUBMITTED
        # crispy-forms renders labels unescaped: a person's name is user input.
        self.fields["sign"].label = format_html("Sign this report as {}", signer)
        if not submitted:
            self.fields["sign"].disabled = True
            self.fields[
                "sign"
            ].help_text = "Only a submitted assessment can be signed; this one is a draft."

    def clean_preset(self) -> str:
        return str(self.cleaned_data.get("preset") or "full")


def _reencode_logo(upload: Any) -> bytes:
    """Check the upload is a real PNG or JPEG, scale it into 2000 × 2000 pixels keeping its
    proportions, and redraw it as PNG.

    Re-encoding drops anything but pixels (metadata, trailing data, polyglot payloads).
    """
    try:
        upload.seek(0)
        data = upload.read()
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise forms.ValidationError(NOT_AN_IMAGE) from None
    if image_format not in LOGO_FORMATS:
        raise forms.ValidationError(NOT_AN_IMAGE)
    # Checked from the header, before decoding any pixels: scaling a logo down is fine,
    # decoding a 1 MB file of a billion blank pixels is not.
    if width * height > LOGO_MAX_SOURCE_PIXELS:
        raise forms.ValidationError(
            "The logo is %(w)d × %(h)d pixels, too large to scale down here; save it at "
            "most 2000 pixels wide and tall and upload it again.",
            params={"w": width, "h": height},
        )
    try:
        # verify() leaves the image unusable: open it again to decode.
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format == "JPEG":
                # Lets libjpeg decode at a fraction of the size straight away.
                opened.draft("RGB", (LOGO_MAX_PIXELS, LOGO_MAX_PIXELS))
            opened.load()
            image: Image.Image = opened
            if image.width > LOGO_MAX_PIXELS or image.height > LOGO_MAX_PIXELS:
                image = image.copy()
                image.thumbnail((LOGO_MAX_PIXELS, LOGO_MAX_PIXELS), Image.Resampling.LANCZOS)
            if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
                # e.g. CMYK JPEGs, which PNG cannot hold.
                image = image.convert("RGBA" if "A" in image.mode else "RGB")
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=True)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise forms.ValidationError(NOT_AN_IMAGE) from None
    return out.getvalue()


# --- the comparison page's filters ---------------------------------------------------------------

SITE_NAME_MAX = 100


class SiteIdsField(forms.Field):
    """Site ids, repeated (?site=1&site=2); which of them are visible is checked by the form."""

    widget = forms.SelectMultiple

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            ids = [int(v) for v in values]
        except (TypeError, ValueError):
            raise forms.ValidationError("Choose sites from the list.") from None
        if len(ids) > 500:
            raise forms.ValidationError("Choose at most 500 sites, or no site to see all.")
        # Beyond a database id (2**63 - 1) SQLite raises OverflowError: refuse it here.
        if any(not 0 < i <= MAX_ID for i in ids):
            raise forms.ValidationError("Choose sites from the list.")
        return ids


class CompareFilterForm(forms.Form):
    """The filters of the comparison page (GET). A bad value is reported next to its field
    and ignored; the page still shows the comparison with the other filters."""

    instrument = forms.ChoiceField(label="Instrument", required=False)
    round = forms.ChoiceField(label="Round", required=False)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    site = SiteIdsField(label="Sites", required=False)
    name = forms.CharField(label="Site name contains", required=False, max_length=SITE_NAME_MAX)
    kind = forms.ChoiceField(
        label="Kind of site",
        required=False,
        choices=[("", "All kinds"), *Site.Kind.choices],
    )
    per_page = forms.TypedChoiceField(
        label="Sites per page",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(str(n), str(n)) for n in PER_PAGE_CHOICES],
    )
    archived = forms.BooleanField(label="Include archived sites", required=False)

    def __init__(
        self,
        *args: Any,
        membership: Membership,
        options: CompareOptions,
        rounds: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.options = options
        instrument, round_ = self.fields["instrument"], self.fields["round"]
        assert isinstance(instrument, forms.ChoiceField)
        assert isinstance(round_, forms.ChoiceField)
        instrument.choices = [(c.value, c.label) for c in options.instruments]
        round_.choices = [("", "Latest round of each site")] + [(r, r) for r in rounds]
        if options.sites is not None:
            self.fields["site"].widget = forms.SelectMultiple(
                choices=[(str(pk), name) for pk, name in options.sites],
                attrs={"size": min(6, max(2, len(options.sites)))},
            )
            self.fields["site"].help_text = "None chosen: every site. Ctrl/⌘-click for several."
        else:
            self.fields["site"].widget = forms.MultipleHiddenInput()
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not isinstance(widget, forms.MultipleHiddenInput):
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def full_clean(self) -> None:
        super().full_clean()
        # Mark the fields that failed after cleaning, for the "is-invalid" styling.
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "")
                if "is-invalid" not in classes:
                    widget.attrs["class"] = (classes + " is-invalid").strip()
                widget.attrs["aria-describedby"] = f"{name}-error"

    def clean_instrument(self) -> str:
        value: str = self.cleaned_data.get("instrument") or ""
        return value

    def clean_site(self) -> list[int]:
        ids: list[int] = self.cleaned_data.get("site") or []
        if ids:
            visible = visible_site_ids(self.membership, ids)
            # Unknown and invisible sites get the same message: nothing leaks.
            if set(ids) - visible:
                raise forms.ValidationError("One of the chosen sites is not available.")
        return ids

    def clean_name(self) -> str:
        return str(self.cleaned_data.get("name") or "").strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "The end date is before the start date.")
        for name in ("date_from", "date_to"):
            value = cleaned.get(name)
            if value and not (datetime.date(1990, 1, 1) <= value <= datetime.date(2999, 12, 31)):
                self.add_error(name, "Choose a date between 1990 and 2999.")
        return cleaned
