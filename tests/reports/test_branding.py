"""Report branding: who may set it, and the logo upload's checks (never a 500)."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from assessments.models import Organisation
from reports.models import ConsultantBranding
from tests.conftest import without_chromium


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _image(fmt: str = "PNG", size: tuple[int, int] = (120, 40), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (11, 93, 107) if mode == "RGB" else None).save(out, format=fmt)
    return out.getvalue()


def _upload(data: bytes, name: str = "logo.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _post(client: Client, slug: str, logo=None, **fields):
    data = {"report_title": "AI readiness review", "report_signoff": "Casey, Acme", **fields}
    if logo is not None:
        data["report_logo"] = logo
    return client.post(reverse("reports:branding", args=[slug]), data)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.mark.parametrize(
    ("who", "status"),
    [("alice", 200), ("carla", 200), ("sam", 403), ("victor", 403), ("oscar", 404)],
)
def test_org_admins_and_consultants_may_brand_reports(world, who, status):
    url = reverse("reports:branding", args=[world.org.slug])
    assert _client(getattr(world, who)).get(url).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(world):
    response = Client().get(reverse("reports:branding", args=[world.org.slug]))
    assert response.status_code == 302


def test_an_org_admin_sets_the_organisations_title_paper_and_a_png_logo(world):
    response = _post(
        _client(world.alice),
        world.org.slug,
        logo=_upload(_image()),
        report_title="  Readiness   review ",
        report_page_size="a4",
    )
    assert response.status_code == 302
    org = Organisation.objects.get(pk=world.org.pk)
    assert (org.report_title, org.report_page_size) == ("Readiness review", "a4")
    assert org.report_logo.name.startswith("logos/northside-health")
    with org.report_logo.open("rb") as handle, Image.open(handle) as image:
        assert image.format == "PNG"
        assert image.size == (120, 40)


def test_a_new_organisation_prints_on_letter_and_an_unknown_paper_is_refused(world):
    assert Organisation.objects.get(pk=world.org.pk).report_page_size == "letter"
    response = _post(_client(world.alice), world.org.slug, report_page_size="a3")
    assert response.status_code == 422
    assert "report_page_size" in response.context["form"].errors
    assert Organisation.objects.get(pk=world.org.pk).report_page_size == "letter"


def test_a_consultant_sets_their_own_branding_not_the_organisations(world):
    response = _post(
        _client(world.carla),
        world.org.slug,
        logo=_upload(_image()),
        report_title="  Bell   review ",
        report_signoff="Carla C.,  Bell Advisory",
    )
    assert response.status_code == 302
    own = ConsultantBranding.objects.get(user=world.carla)
    assert (own.report_title, own.report_signoff) == ("Bell review", "Carla C., Bell Advisory")
    assert own.report_logo.name.startswith("logos/consultants/")
    org = Organisation.objects.get(pk=world.org.pk)
    assert (org.report_title, bool(org.report_logo)) == ("", False)
    # The page shows the consultant's own, and says it follows them.
    html = _client(world.carla).get(reverse("reports:branding", args=[world.org.slug]))
    assert "Bell review" in html.content.decode()
    assert "every client" in html.content.decode()


def test_a_jpeg_logo_is_stored_as_png_without_its_metadata(world):
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "secret description"
    Image.new("CMYK", (50, 50)).save(out, format="JPEG", exif=exif)
    response = _post(
        _client(world.alice), world.org.slug, logo=_upload(out.getvalue(), "logo.jpg", "image/jpeg")
    )
    assert response.status_code == 302
    org = Organisation.objects.get(pk=world.org.pk)
    data = org.report_logo.read()
    assert data.startswith(b"\x89PNG")
    assert b"secret description" not in data


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"just some text", "logo.png", "Upload a PNG or JPEG image"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "logo.svg",
            "Upload a PNG or JPEG image",
        ),
        (None, "logo.gif", "Upload a PNG or JPEG image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken.png", "Upload a PNG or JPEG image"),
    ],
)
def test_anything_but_a_real_png_or_jpeg_is_refused_with_a_message(world, data, name, message):
    if data is None:
        data = _image("GIF")
    response = _post(_client(world.alice), world.org.slug, logo=_upload(data, name))
    assert response.status_code == 422
    form = response.context["form"]
    assert message in form.errors["report_logo"][0]
    assert message in response.content.decode()
    assert not Organisation.objects.get(pk=world.org.pk).report_logo


def test_a_logo_over_1_mb_is_refused(world):
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert len(out.getvalue()) > 1024 * 1024
    response = _post(_client(world.alice), world.org.slug, logo=_upload(out.getvalue()))
    assert response.status_code == 422
    assert "the limit is 1 MB" in response.context["form"].errors["report_logo"][0]


def test_a_logo_over_2000_pixels_is_scaled_down_keeping_its_proportions(world):
    response = _post(_client(world.alice), world.org.slug, logo=_upload(_image("PNG", (3000, 600))))
    assert response.status_code == 302
    org = Organisation.objects.get(pk=world.org.pk)
    with org.report_logo.open("rb") as handle, Image.open(handle) as image:
        assert image.size == (2000, 400)


def test_a_tall_jpeg_logo_is_scaled_down_too(world):
    response = _post(
        _client(world.alice),
        world.org.slug,
        logo=_upload(_image("JPEG", (500, 4000)), "logo.jpg", "image/jpeg"),
    )
    assert response.status_code == 302
    org = Organisation.objects.get(pk=world.org.pk)
    with org.report_logo.open("rb") as handle, Image.open(handle) as image:
        assert image.size == (250, 2000)


def test_a_logo_of_absurd_dimensions_is_refused_with_a_message_not_decoded(world):
    # 1 MB or less, but 50 million pixels: too much to decode for a logo.
    response = _post(
        _client(world.alice), world.org.slug, logo=_upload(_image("PNG", (10000, 5000), mode="1"))
    )
    assert response.status_code == 422
    assert "10000 × 5000 pixels" in response.context["form"].errors["report_logo"][0]


def test_saving_without_a_new_file_keeps_the_logo_and_links_it_through_the_logo_view(world):
    client = _client(world.alice)
    _post(client, world.org.slug, logo=_upload(_image()))
    old = Organisation.objects.get(pk=world.org.pk).report_logo.name
    assert _post(client, world.org.slug, report_title="New title").status_code == 302
    org = Organisation.objects.get(pk=world.org.pk)
    assert (org.report_logo.name, org.report_title) == (old, "New title")
    html = client.get(reverse("reports:branding", args=[world.org.slug])).content.decode()
    assert f'href="{reverse("reports:branding-logo", args=[world.org.slug])}"' in html
    assert "/media/" not in html


def test_a_refused_logo_keeps_the_rest_of_the_form_and_the_old_logo(world):
    client = _client(world.alice)
    _post(client, world.org.slug, logo=_upload(_image()))
    old = Organisation.objects.get(pk=world.org.pk).report_logo.name
    response = _post(client, world.org.slug, logo=_upload(b"nope"), report_title="Changed")
    assert response.status_code == 422
    assert 'value="Changed"' in response.content.decode()
    org = Organisation.objects.get(pk=world.org.pk)
    assert org.report_logo.name == old
    assert org.report_title == "AI readiness review"


def test_replacing_or_clearing_the_logo_deletes_the_old_file(world):
    client = _client(world.alice)
    _post(client, world.org.slug, logo=_upload(_image()))
    first = Organisation.objects.get(pk=world.org.pk).report_logo
    storage, first_name = first.storage, first.name
    _post(client, world.org.slug, logo=_upload(_image(size=(60, 60))))
    second = Organisation.objects.get(pk=world.org.pk).report_logo.name
    assert second != first_name
    assert not storage.exists(first_name)
    _post(client, world.org.slug, **{"report_logo-clear": "on"})
    assert not Organisation.objects.get(pk=world.org.pk).report_logo
    assert not storage.exists(second)


def test_the_logo_is_served_to_members_only(world):
    _post(_client(world.alice), world.org.slug, logo=_upload(_image()))
    url = reverse("reports:branding-logo", args=[world.org.slug])
    response = _client(world.victor).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert _client(world.oscar).get(url).status_code == 404
    assert (
        _client(world.oscar).get(reverse("reports:branding-logo", args=["other-org"])).status_code
        == 404
    )


def test_the_logo_appears_in_the_html_report_and_the_pdf(world, scored, monkeypatch):
    from reports import pdf

    without_chromium(monkeypatch)
    _post(_client(world.alice), world.org.slug, logo=_upload(_image()))
    html = (
        _client(world.alice).get(reverse("reports:gap-report", args=[scored.pk])).content.decode()
    )
    assert reverse("reports:branding-logo", args=[world.org.slug]) in html
    fetched = []
    real = pdf.LocalFilesFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return real(self, url, headers)

    monkeypatch.setattr(pdf.LocalFilesFetcher, "fetch", spy)
    response = _client(world.alice).get(reverse("reports:gap-report-pdf", args=[scored.pk]))
    assert response.status_code == 200
    assert any("/media/logos/northside-health" in url for url in fetched)
