"""The dashboard, RLS and waiting-list pages are rendered once per data version and
territory and cached (web/dashboard/views; the figures they show: test_figures_cache.py).
The access module still decides every request, and a new table version shows at once."""

from __future__ import annotations

import io
import re
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from web.dashboard.views import rls as rls_views
from web.regions.models import Region, Rls, WaitlistEntry
from web.tables import services
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset, ImportStatus
from web.tables.store import read_dataset

pytestmark = pytest.mark.django_db


def _waiting_codes(html: str) -> list[str]:
    return re.findall(r'href="/patients/([^/"]+)/"', html)


def _import_waitlist_without(region: Region, patient_code: str) -> None:
    """A new version of the region's waiting list: the current one less ``patient_code``."""
    current = Dataset.current(region, DatasetKind.WAITLIST)
    assert current is not None
    table = read_dataset(current)
    table = table.filter(pc.not_equal(table.column("patient_id"), patient_code))
    sink = io.BytesIO()
    pq.write_table(table, sink)
    upload = SimpleUploadedFile("waitlist.parquet", sink.getvalue())
    drmg = User.objects.get(username="drmg")
    job = services.do_stage_upload(
        DatasetKind.WAITLIST, upload, region=region, scope=[], acting_user=drmg
    )
    assert job.status == ImportStatus.READY, job.errors
    services.do_apply_import(job, acting_user=drmg)


def test_it_never_serves_one_rls_cached_pages_to_another_rls_cml(
    cml_client, other_cml_client, own_rls, other_rls
):
    rls_page = reverse("dashboard:rls-detail", args=[own_rls.code])
    waitlist_page = reverse("dashboard:rls-waitlist", args=[own_rls.code])
    own = cml_client.get(rls_page)
    waiting = cml_client.get(waitlist_page)
    assert own.status_code == waiting.status_code == 200
    assert _waiting_codes(waiting.content.decode())
    # Cached now; the other RLS's CML is still refused both pages (access decides first).
    assert other_cml_client.get(rls_page).status_code == 404
    assert other_cml_client.get(waitlist_page).status_code == 404
    # Their own dashboard and RLS page name their RLS only, never the cached one's.
    home = other_cml_client.get(reverse("dashboard:home")).content.decode()
    assert other_rls.name in home and own_rls.name not in home
    other = other_cml_client.get(reverse("dashboard:rls-detail", args=[other_rls.code]))
    assert other.status_code == 200
    physicians = set(re.findall(r'data-physician="([^"]+)"', other.content.decode()))
    assert physicians and not physicians & set(
        re.findall(r'data-physician="([^"]+)"', own.content.decode())
    )


def test_it_renders_a_page_once_per_data_version(cml_client, own_rls, monkeypatch):
    url = reverse("dashboard:rls-waitlist", args=[own_rls.code])
    first = _waiting_codes(cml_client.get(url).content.decode())
    rendered: list[str] = []
    render = rls_views.render_to_string

    def counted(name: str, *args: Any, **kwargs: Any) -> str:
        rendered.append(name)
        return render(name, *args, **kwargs)

    monkeypatch.setattr(rls_views, "render_to_string", counted)
    assert _waiting_codes(cml_client.get(url).content.decode()) == first
    assert rendered == []  # the page's list came from the cache


def test_it_shows_a_new_table_version_on_the_next_request(cml_client, own_rls):
    url = reverse("dashboard:rls-waitlist", args=[own_rls.code])
    before = _waiting_codes(cml_client.get(url).content.decode())
    home = cml_client.get(reverse("dashboard:home")).content.decode()
    match = re.search(r'data-testid="waitlist-total">(\d+)<', home)
    assert match is not None
    total = int(match.group(1))
    assert (
        before[0] in before
        and total == WaitlistEntry.objects.filter(rls=own_rls, status="waiting").count()
    )
    _import_waitlist_without(Rls.objects.get(pk=own_rls.pk).region, before[0])
    after = _waiting_codes(cml_client.get(url).content.decode())
    assert before[0] not in after and after == before[1:] + after[len(before) - 1 :]
    home = cml_client.get(reverse("dashboard:home")).content.decode()
    assert f'data-testid="waitlist-total">{total - 1}<' in home


def test_it_reads_the_data_version_once_per_request(drmg_client):
    drmg_client.get(reverse("dashboard:home"))
    with CaptureQueriesContext(connection) as queries:
        assert drmg_client.get(reverse("dashboard:home")).status_code == 200
    versions = [q["sql"] for q in queries.captured_queries if "MAX(" in q["sql"].upper()]
    assert len(versions) == 1
