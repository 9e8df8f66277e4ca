"""The upload size limit (PANELCARE_MAX_UPLOAD_MB), enforced while the file arrives."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from web.config.uploads import OversizedUpload
from web.tables.models import ImportJob, data_dir

MB = 1024 * 1024


def parsed_upload(content: bytes):
    """The file of a multipart request, as the configured upload handlers leave it."""
    request = RequestFactory().post("/", {"file": SimpleUploadedFile("big.csv", content)})
    return request.FILES["file"]


def test_it_keeps_a_file_under_the_limit_whole(settings):
    settings.PANELCARE_MAX_UPLOAD_MB = 1
    upload = parsed_upload(b"x" * (MB - 1000))
    assert not isinstance(upload, OversizedUpload)
    assert upload.read() == b"x" * (MB - 1000)


def test_it_stops_keeping_a_file_past_the_limit(settings):
    settings.PANELCARE_MAX_UPLOAD_MB = 1
    upload = parsed_upload(b"x" * (3 * MB))
    assert isinstance(upload, OversizedUpload)
    assert upload.size == 3 * MB  # counted as it went by...
    assert upload.read() == b""  # ...never kept


@pytest.mark.django_db
def test_it_refuses_an_import_larger_than_the_limit_in_french(settings, demo, drmg_client):
    settings.PANELCARE_MAX_UPLOAD_MB = 1
    content = b"patient_id,rls_id\n" + b"P1,R1\n" * (2 * MB // 6)
    response = drmg_client.post(
        reverse("tables:imports"),
        {"kind": "waitlist", "file": SimpleUploadedFile("gamf.csv", content)},
    )
    assert response.status_code == 200
    assert (
        "Le fichier dépasse 1 Mo, la taille la plus grande acceptée." in response.content.decode()
    )
    assert ImportJob.objects.count() == 0
    assert not list(data_dir().rglob("staging/*"))
