"""The report branding form: title, logo and sign-off of an organisation's reports."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

from assessments.models import Organisation

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 2000
LOGO_FORMATS = {"PNG", "JPEG"}
if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[Organisation]
else:  # ModelForm is generic for the type checker only
    _ModelForm = forms.ModelForm

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


class BrandingForm(_ModelForm):
    report_logo = LogoField(
        label="Logo",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
        help_text=(
            "PNG or JPEG, at most 1 MB and 2000 × 2000 pixels. It is stored as PNG and shown "
            "on the report cover."
        ),
    )

    class Meta:
        model = Organisation
        fields = ["report_title", "report_logo", "report_signoff"]
        labels = {"report_title": "Report title", "report_signoff": "Sign-off name"}
        help_texts = {
            "report_title": 'Shown on the cover and the running header, e.g. "AI readiness review".'
            " Leave empty for the default title.",
            "report_signoff": "The person or firm the report is prepared by, e.g. a consultant's "
            "name and company.",
        }

    def __init__(self, *args: Any, logo_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.report_logo and logo_url:
            self.initial["report_logo"] = LogoLink(logo_url)

    def clean_report_title(self) -> str:
        return " ".join(self.cleaned_data["report_title"].split())

    def clean_report_signoff(self) -> str:
        return " ".join(self.cleaned_data["report_signoff"].split())

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
        slug = self.instance.slug or "organisation"
        return ContentFile(_reencode_logo(upload), name=f"{slug}.png")


def _reencode_logo(upload: Any) -> bytes:
    """Check the upload is a real PNG or JPEG of a sensible size, and redraw it as PNG.

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
    # Checked from the header, before decoding any pixels.
    if width > LOGO_MAX_PIXELS or height > LOGO_MAX_PIXELS:
        raise forms.ValidationError(
            "The logo is %(w)d × %(h)d pixels; the limit is 2000 × 2000.",
            params={"w": width, "h": height},
        )
    try:
        # verify() leaves the image unusable: open it again to decode.
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image: Image.Image = opened
            if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
                # e.g. CMYK JPEGs, which PNG cannot hold.
                image = image.convert("RGBA" if "A" in image.mode else "RGB")
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=True)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise forms.ValidationError(NOT_AN_IMAGE) from None
    return out.getvalue()
