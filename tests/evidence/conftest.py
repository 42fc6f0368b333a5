"""Evidence tests: media in a temporary folder, a draft of the small instrument, helpers."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, AuditEntry
from evidence.models import EvidenceFile
from tests import factories
from tests.conftest import World
from tests.evidence.fake_clamd import FakeClamd


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def draft(world: World, media: Path) -> Assessment:
    return factories.make_assessment(world.clinic, world.instrument)


@pytest.fixture
def clamd_daemon(settings: Any) -> Iterator[FakeClamd]:
    with tempfile.TemporaryDirectory(prefix="clamd-") as folder:
        fake = FakeClamd(Path(folder) / "clamd.sock")
        settings.CLAMD_SOCKET = str(fake.path)
        settings.CLAMD_TIMEOUT = 5
        yield fake
        fake.close()


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, assessment: Assessment, key: str, name: str, data: bytes) -> Any:
    url = reverse("evidence:upload", args=[assessment.pk, key])
    return client.post(url, {"file": SimpleUploadedFile(name, data)})


def follow_upload(client: Client, assessment: Assessment, key: str, name: str, data: bytes) -> str:
    """Upload, follow the redirect back to the domain page, and return that page's HTML."""
    url = reverse("evidence:upload", args=[assessment.pk, key])
    response = client.post(url, {"file": SimpleUploadedFile(name, data)}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def stored(media: Path) -> list[str]:
    folder = media / "evidence"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def state(assessment: Assessment) -> dict[str, Any]:
    """What an upload or a deletion may change."""
    assessment.refresh_from_db()
    return {
        "files": list(EvidenceFile.objects.order_by("pk").values_list("pk", "name", "status")),
        "audit": list(AuditEntry.objects.order_by("pk").values_list("pk", "action", "subject")),
        "revision": assessment.revision,
    }
