"""The DRMG's notices (EP 40, 15.01 B): recording and withdrawing them (the services and
their refusals), the computations reading them (the physician deemed to meet the target,
the notices read kept in the summary, a computation that predates a notice said so), and
their pages: the list, the form, a notice, its PDF, the withdrawal, with every refusal.

In the demo, D00002 to D00005 are members of the GMF G0001 (RLS 0115, cml.rimouski's),
D00008 to D00010 of G0002 (RLS 0116); D00006 and D00007 are members of none; D00001 joins
G0001 in 2026.
"""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from panelcare.assiduity import results
from web.accounts import access
from web.assiduity import figures, services
from web.assiduity.errors import (
    DrmgNoticeExists,
    DrmgNoticeRefused,
    DrmgNoticeWithdrawn,
    NotAGmfMember,
)
from web.assiduity.models import AssiduityAction, AssiduityRun, DrmgNotice
from web.assiduity.tests.conftest import YEAR
from web.assiduity.tests.test_french_pages import code_words
from web.audit.models import AuditEvent
from web.regions.models import Region
from web.regions.testing import visible_text

pytestmark = pytest.mark.django_db

MEMBER = "D00002"  # G0001, RLS 0115
OTHER_RLS_MEMBER = "D00008"  # G0002, RLS 0116
NOT_A_MEMBER = "D00006"


def _record(region: Region, drmg: User, code: str = MEMBER, year: int = YEAR) -> DrmgNotice:
    return services.do_record_drmg_notice(
        region, code, year, "Two nurses not assigned by the CISSS.", acting_user=drmg
    )


@pytest.fixture
def notice(region, drmg) -> DrmgNotice:
    """A notice for D00002 in :data:`YEAR`, recorded by the DRMG."""
    return _record(region, drmg)


@pytest.fixture
def other_region_notice(notice) -> DrmgNotice:
    """A notice of another region."""
    region = Region.objects.create(code="99", name="Autre région")
    return DrmgNotice.objects.create(
        region=region,
        physician_code="X1",
        gmf_code="GX",
        year=YEAR,
        justification="…",
        recorded_by=notice.recorded_by,
    )


def _rates(run: AssiduityRun) -> dict[str, dict]:
    return {row["physician_id"]: row for row in results.read_rates(run.results_folder).to_pylist()}


# --------------------------------------------------------------------------- recording


def test_it_records_a_notice_with_the_gmf_of_the_year_and_an_audit_entry(region, drmg):
    notice = _record(region, drmg)
    assert (notice.physician_code, notice.gmf_code, notice.year) == (MEMBER, "G0001", YEAR)
    assert notice.recorded_by == drmg and notice.recorded_at is not None and notice.active
    entry = AuditEvent.objects.get(action=AssiduityAction.NOTICE_RECORDED)
    assert entry.subject_id == str(notice.pk) and entry.rls_code == "0115"
    assert entry.details["physician"] == MEMBER and entry.details["gmf"] == "G0001"


@pytest.mark.parametrize(
    ("code", "year"),
    [
        (NOT_A_MEMBER, YEAR),  # never a GMF member
        ("D00001", YEAR),  # joins G0001 in 2026 only
        ("NOBODY", YEAR),  # no such physician
    ],
)
def test_it_refuses_a_physician_without_a_gmf_membership_that_year(region, drmg, code, year):
    with pytest.raises(NotAGmfMember, match="applies to a GMF member"):
        _record(region, drmg, code, year)
    assert not DrmgNotice.objects.exists()
    assert not AuditEvent.objects.filter(action=AssiduityAction.NOTICE_RECORDED).exists()


def test_it_refuses_a_second_notice_in_force_and_takes_one_after_a_withdrawal(region, drmg):
    first = _record(region, drmg)
    with pytest.raises(DrmgNoticeExists, match="already has a notice in force"):
        _record(region, drmg)
    services.do_withdraw_drmg_notice(first, "Recorded by mistake.", acting_user=drmg)
    second = _record(region, drmg)
    assert second.pk != first.pk and second.active
    # Another year of the same physician is another notice.
    assert _record(region, drmg, year=YEAR - 1).active


def test_it_refuses_an_empty_justification(region, drmg):
    with pytest.raises(DrmgNoticeRefused, match="justification"):
        services.do_record_drmg_notice(region, MEMBER, YEAR, "  \n ", acting_user=drmg)
    assert not DrmgNotice.objects.exists()


def test_it_refuses_a_year_to_come_and_a_year_before_the_rate(region, drmg):
    with pytest.raises(DrmgNoticeRefused, match="year to come"):
        _record(region, drmg, year=timezone.localdate().year + 1)
    with pytest.raises(DrmgNoticeRefused, match="from 2017"):
        _record(region, drmg, year=2016)
    assert not DrmgNotice.objects.exists()


def test_it_withdraws_a_notice_for_a_reason_once(notice, drmg):
    with pytest.raises(DrmgNoticeRefused, match="why"):
        services.do_withdraw_drmg_notice(notice, " ", acting_user=drmg)
    notice.refresh_from_db()
    assert notice.active

    services.do_withdraw_drmg_notice(notice, "Staff assigned in March.", acting_user=drmg)
    notice.refresh_from_db()
    assert not notice.active and notice.withdrawn_by == drmg
    assert notice.withdrawal_reason == "Staff assigned in March."
    entry = AuditEvent.objects.get(action=AssiduityAction.NOTICE_WITHDRAWN)
    assert entry.details["reason"] == "Staff assigned in March." and entry.rls_code == "0115"
    with pytest.raises(DrmgNoticeWithdrawn):
        services.do_withdraw_drmg_notice(notice, "Again.", acting_user=drmg)


# --------------------------------------------------------------------------- computing


def test_it_deems_the_physician_of_a_notice_in_the_next_computation(region, drmg, notice):
    withdrawn = _record(region, drmg, code="D00003")
    services.do_withdraw_drmg_notice(withdrawn, "Mistake.", acting_user=drmg)
    _record(region, drmg, code="D00004", year=YEAR - 1)  # another year: not read

    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)

    rates = _rates(run)
    assert rates[MEMBER]["drmg_deemed"] is True and rates[MEMBER]["payment_pct"] == 100
    assert [code for code, row in rates.items() if row["drmg_deemed"]] == [MEMBER]
    assert run.summary["notices"] == [notice.pk]
    assert services.notices_read(run) == [(MEMBER, YEAR)]
    assert not figures.notice_changes(run, None)
    reading = figures.notice_reading(notice)
    assert reading.run == run and reading.read and not reading.outdated
    assert reading.rate is not None and reading.rate["drmg_deemed"]


def test_it_says_a_computation_predates_a_notice(drmg_client, done_run, region, drmg):
    assert done_run.summary["notices"] == []
    notice = _record(region, drmg)

    changes = figures.notice_changes(done_run, None)
    assert changes.recorded == [notice] and changes.withdrawn == []
    page = drmg_client.get(reverse("assiduity:run-detail", args=[done_run.pk])).content.decode()
    assert 'data-testid="notices-changed"' in page
    assert "compute again" in visible_text(page)
    assert page.count('data-testid="notice-unread"') == 1

    page = drmg_client.get(reverse("assiduity:notice", args=[notice.pk])).content.decode()
    assert 'data-testid="notice-outdated"' in page
    assert "predates the notice" in visible_text(page)


def test_it_says_a_computation_predates_a_withdrawal(region, drmg, notice):
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    assert not figures.notice_changes(run, None)
    services.do_withdraw_drmg_notice(notice, "Mistake.", acting_user=drmg)
    notice.refresh_from_db()
    assert figures.notice_changes(run, None).withdrawn == [notice]
    assert figures.notice_reading(notice).outdated
    # A CML of another RLS is not told about a physician they do not see.
    assert not figures.notice_changes(run, frozenset({"D00008"}))


# --------------------------------------------------------------------------- who sees what


def test_it_shows_the_drmg_every_notice_and_a_cml_their_rlss(region, drmg, cml, notice):
    other = _record(region, drmg, code=OTHER_RLS_MEMBER)
    assert set(access.visible_drmg_notices(drmg)) == {notice, other}
    assert set(access.visible_drmg_notices(cml)) == {notice}
    assert access.can_record_drmg_notice(drmg) and not access.can_record_drmg_notice(cml)


@pytest.mark.parametrize("username", ["gestion.gmf", "medecin", "ciusss", "coach"])
def test_it_refuses_the_notices_to_other_roles(client_as, notice, username):
    client = client_as(username)
    for url in (
        reverse("assiduity:notices"),
        reverse("assiduity:notice", args=[notice.pk]),
        reverse("assiduity:notice-pdf", args=[notice.pk]),
        reverse("assiduity:notice-new"),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("assiduity:notice-withdraw", args=[notice.pk]), {"reason": "x"})
    assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.active


def test_it_refuses_the_form_and_the_withdrawal_to_a_cml(cml_client, notice):
    assert cml_client.get(reverse("assiduity:notice-new")).status_code == 403
    response = cml_client.post(
        reverse("assiduity:notice-new"),
        {"physician": "D00003", "year": YEAR, "justification": "x"},
    )
    assert response.status_code == 403
    response = cml_client.post(
        reverse("assiduity:notice-withdraw", args=[notice.pk]), {"reason": "x"}
    )
    assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.active and DrmgNotice.objects.count() == 1


def test_it_hides_another_rlss_notice_from_a_cml(cml_client, region, drmg):
    other = _record(region, drmg, code=OTHER_RLS_MEMBER)
    assert cml_client.get(reverse("assiduity:notice", args=[other.pk])).status_code == 404
    assert cml_client.get(reverse("assiduity:notice-pdf", args=[other.pk])).status_code == 404
    page = cml_client.get(reverse("assiduity:notices")).content.decode()
    assert f'data-testid="notice-{other.pk}"' not in page


def test_it_hides_another_regions_notice_from_the_drmg(drmg_client, other_region_notice):
    pk = other_region_notice.pk
    assert drmg_client.get(reverse("assiduity:notice", args=[pk])).status_code == 404
    assert drmg_client.get(reverse("assiduity:notice-pdf", args=[pk])).status_code == 404
    response = drmg_client.post(reverse("assiduity:notice-withdraw", args=[pk]), {"reason": "x"})
    assert response.status_code == 404
    other_region_notice.refresh_from_db()
    assert other_region_notice.active


# --------------------------------------------------------------------------- the pages


def test_it_lists_the_notices_of_a_year(drmg_client, region, drmg, notice):
    older = _record(region, drmg, code="D00003", year=YEAR - 1)
    page = drmg_client.get(reverse("assiduity:notices")).content.decode()
    assert (
        f'data-testid="notice-{notice.pk}"' in page and f'data-testid="notice-{older.pk}"' in page
    )
    assert "Denise Lizotte" in page
    page = drmg_client.get(reverse("assiduity:notices") + f"?year={YEAR}").content.decode()
    assert f'data-testid="notice-{notice.pk}"' in page
    assert f'data-testid="notice-{older.pk}"' not in page
    assert 'data-testid="notice-new-link"' in page


def test_it_shows_the_cml_the_list_without_the_form_link(cml_client, notice):
    page = cml_client.get(reverse("assiduity:notices")).content.decode()
    assert f'data-testid="notice-{notice.pk}"' in page
    assert 'data-testid="notice-new-link"' not in page


def test_it_records_a_notice_through_the_form(drmg_client, region, drmg):
    page = drmg_client.get(reverse("assiduity:notice-new") + f"?physician={MEMBER}&year={YEAR}")
    text = page.content.decode()
    assert f'<option value="{MEMBER}" selected>' in text  # filled from the committee's link
    assert "D00008" in text  # every physician of the region

    response = drmg_client.post(
        reverse("assiduity:notice-new"),
        {"physician": MEMBER, "year": YEAR, "justification": "No nurse assigned."},
    )
    notice = DrmgNotice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("assiduity:notice", args=[notice.pk])
    assert (notice.physician_code, notice.year, notice.recorded_by) == (MEMBER, YEAR, drmg)


def test_it_says_why_the_form_is_refused(drmg_client):
    response = drmg_client.post(
        reverse("assiduity:notice-new"),
        {"physician": NOT_A_MEMBER, "year": YEAR, "justification": "No nurse assigned."},
    )
    assert response.status_code == 200
    assert "applies to a GMF member" in visible_text(response.content.decode())
    response = drmg_client.post(
        reverse("assiduity:notice-new"), {"physician": MEMBER, "year": YEAR, "justification": ""}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not DrmgNotice.objects.exists()


def test_it_shows_who_recorded_a_notice_and_when(drmg_client, cml_client, notice):
    for client in (drmg_client, cml_client):
        page = client.get(reverse("assiduity:notice", args=[notice.pk])).content.decode()
        text = " ".join(visible_text(page).split())
        assert "by drmg on" in text
        assert "Two nurses not assigned by the CISSS." in text
        assert "Denise Lizotte" in text
    assert (
        'data-testid="withdraw-form"'
        in drmg_client.get(reverse("assiduity:notice", args=[notice.pk])).content.decode()
    )
    assert (
        'data-testid="withdraw-form"'
        not in cml_client.get(reverse("assiduity:notice", args=[notice.pk])).content.decode()
    )


def test_it_prints_the_notice_as_a_pdf(drmg_client, notice):
    response = drmg_client.get(reverse("assiduity:notice-pdf", args=[notice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = " ".join(
        " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        ).split()
    )
    assert "15.01 B" in text
    assert "Denise Lizotte" in text and "D00002" in text and str(YEAR) in text
    assert "Two nurses not assigned by the CISSS." in text
    # The rate of the latest computation of the year, or none yet (the module's own
    # computation, when an earlier test made it).
    reading = figures.notice_reading(notice)
    if reading.run is None:
        assert "Not computed yet." in text
    else:
        assert f"computation number {reading.run.pk}" in text


def test_it_withdraws_a_notice_from_its_page(drmg_client, notice):
    url = reverse("assiduity:notice-withdraw", args=[notice.pk])
    assert drmg_client.get(url).status_code == 405
    drmg_client.post(url, {"reason": ""})
    notice.refresh_from_db()
    assert notice.active
    response = drmg_client.post(url, {"reason": "Staff assigned."}, follow=True)
    notice.refresh_from_db()
    assert not notice.active and notice.withdrawal_reason == "Staff assigned."
    assert 'data-testid="notice-withdrawn"' in response.content.decode()


def test_it_shows_no_code_word_on_the_french_pages(client_as, notice, done_run):
    client = client_as("drmg")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    for url in (
        reverse("assiduity:notices"),
        reverse("assiduity:notice", args=[notice.pk]),
        reverse("assiduity:notice-new"),
        reverse("assiduity:committee", args=[done_run.pk]),
        reverse("assiduity:run-detail", args=[done_run.pk]) + "?sort=-notice",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert code_words(response.content.decode()) == [], url
