"""A DRMG notice proposed from a post the CISSS/CIUSSS left vacant past its hiring
deadline (EP 40, 15.01 B; ``web.comanagement.queries``): the form filled from ``?post=``,
the post kept with the notice and its audit entry, the service's refusals, who may use
``?post=``, and the proposal on the committee's list and the physician's page (the DRMG's
only).

The post of G0001 (D00002's GMF, RLS 0115) is opened at the GMF's recognition on 1 June
of :data:`YEAR` − 1: its deadline is the day before the first annual review, 31 March
:data:`YEAR` (the core's), and filled on 1 October it was vacant past it from 1 April to
30 September: 183 days of :data:`YEAR`.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from web.accounts import access
from web.assiduity import figures, services
from web.assiduity.errors import DrmgNoticeRefused
from web.assiduity.models import AssiduityAction, DrmgNotice
from web.assiduity.tests.conftest import YEAR
from web.audit.models import AuditEvent
from web.comanagement.models import Post
from web.regions.models import Gmf, Region, Rls
from web.regions.testing import visible_text

pytestmark = pytest.mark.django_db

MEMBER = "D00002"  # G0001, RLS 0115
DAYS = 183


def _post(gmf: Gmf, filled_on: datetime.date | None = datetime.date(YEAR, 10, 1)) -> Post:
    # A recognition post's deadline follows the GMF's recognition (the day before its
    # first annual review): the GMF is recognised the day the post opens.
    Gmf.objects.filter(pk=gmf.pk).update(recognized_on=datetime.date(YEAR - 1, 6, 1))
    gmf.refresh_from_db()
    return Post.objects.create(
        gmf=gmf,
        professional_type="nurse_clinician",
        fte=Decimal("0.80"),
        opened_by="recognition",
        opened_on=datetime.date(YEAR - 1, 6, 1),
        filled_on=filled_on,
        filled_by="ciusss" if filled_on else "",
    )


@pytest.fixture
def post(region) -> Post:
    """A nurse clinician post of G0001 vacant 183 days past its deadline in YEAR."""
    return _post(Gmf.objects.get(code="G0001"))


def _new_url(post: Post, physician: str = MEMBER, year: int = YEAR) -> str:
    return reverse("assiduity:notice-new") + f"?physician={physician}&year={year}&post={post.pk}"


def _record(region, drmg, post, code=MEMBER, year=YEAR) -> DrmgNotice:
    return services.do_record_drmg_notice(
        region, code, year, "The nurse clinician post stayed vacant.", acting_user=drmg, post=post
    )


# --------------------------------------------------------------------------- the service


def test_it_keeps_the_post_with_the_notice_and_its_deadline_and_days_in_the_audit(
    region, drmg, post
):
    notice = _record(region, drmg, post)
    notice.refresh_from_db()
    assert notice.post == post and notice.gmf_code == "G0001"
    entry = AuditEvent.objects.get(action=AssiduityAction.NOTICE_RECORDED)
    assert entry.subject_id == str(notice.pk)
    assert entry.details["post"] == post.pk
    assert entry.details["deadline"] == f"{YEAR}-03-31"
    assert entry.details["days_vacant"] == DAYS


def test_it_records_a_notice_without_a_post_as_before(region, drmg):
    notice = services.do_record_drmg_notice(
        region, MEMBER, YEAR, "No nurse assigned.", acting_user=drmg
    )
    assert notice.post is None
    details = AuditEvent.objects.get(action=AssiduityAction.NOTICE_RECORDED).details
    assert "post" not in details and "days_vacant" not in details


def test_it_refuses_a_post_of_a_gmf_the_physician_was_not_a_member_of(region, drmg):
    other = _post(Gmf.objects.get(code="G0002"))
    with pytest.raises(DrmgNoticeRefused, match="was not a member of the GMF"):
        _record(region, drmg, other)
    assert not DrmgNotice.objects.exists()
    assert not AuditEvent.objects.filter(action=AssiduityAction.NOTICE_RECORDED).exists()


def test_it_refuses_a_post_not_vacant_past_its_deadline_that_year(region, drmg, post):
    on_time = _post(post.gmf, filled_on=datetime.date(YEAR, 3, 31))  # filled on the deadline
    with pytest.raises(DrmgNoticeRefused, match="not vacant past its hiring deadline"):
        _record(region, drmg, on_time)
    with pytest.raises(DrmgNoticeRefused, match="not vacant past its hiring deadline"):
        _record(region, drmg, post, year=YEAR - 1)  # vacant, but before its deadline
    assert not DrmgNotice.objects.exists()


# --------------------------------------------------------------------------- the form


def test_it_fills_the_justification_from_the_post_and_shows_it(drmg_client, post):
    response = drmg_client.get(_new_url(post))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<option value="{MEMBER}" selected>' in page
    assert 'data-testid="notice-post"' in page
    text = visible_text(page)
    gmf = post.gmf.name
    assert (
        f"Post vacant after the hiring deadline of March 31, {YEAR} — Nurse clinician, "
        f"0.80 FTE, {gmf}: {DAYS} days in {YEAR}." in text
    )
    assert f"Vacant {DAYS} days past the deadline in {YEAR}." in text


def test_it_fills_nothing_for_a_year_the_post_was_not_vacant_past_its_deadline(drmg_client, post):
    page = drmg_client.get(_new_url(post, year=YEAR - 1)).content.decode()
    text = visible_text(page)
    assert "Not vacant past its deadline in the year proposed" in text
    assert "Post vacant after the hiring deadline" not in text


def test_it_records_the_notice_with_the_post_from_the_form(drmg_client, post, drmg):
    response = drmg_client.post(
        _new_url(post),
        {"physician": MEMBER, "year": YEAR, "justification": "Edited by the DRMG."},
    )
    notice = DrmgNotice.objects.get()
    assert response.status_code == 302
    assert (notice.post, notice.justification, notice.recorded_by) == (
        post,
        "Edited by the DRMG.",
        drmg,
    )
    details = AuditEvent.objects.get(action=AssiduityAction.NOTICE_RECORDED).details
    assert (details["post"], details["days_vacant"]) == (post.pk, DAYS)


def test_it_says_why_a_post_is_refused_on_the_form(drmg_client, post):
    response = drmg_client.post(
        _new_url(post, physician="D00008"),  # G0002's member
        {"physician": "D00008", "year": YEAR, "justification": "…"},
    )
    assert response.status_code == 200
    assert "was not a member of the GMF" in visible_text(response.content.decode())
    assert not DrmgNotice.objects.exists()


def test_it_shows_the_post_on_the_notice_and_its_pdf(drmg_client, region, drmg, post):
    notice = _record(region, drmg, post)
    page = drmg_client.get(reverse("assiduity:notice", args=[notice.pk])).content.decode()
    assert 'data-testid="notice-post"' in page
    assert f"hiring deadline March 31, {YEAR}" in visible_text(page)
    response = drmg_client.get(reverse("assiduity:notice-pdf", args=[notice.pk]))
    text = " ".join(
        " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        ).split()
    )
    assert "Vacant post" in text and f"hiring deadline March 31, {YEAR}" in text
    assert f"Vacant {DAYS} days past the deadline in {YEAR}." in text


@pytest.mark.parametrize("username", ["cml.rimouski", "gestion.gmf", "ciusss"])
def test_it_refuses_the_form_with_a_post_to_anybody_but_the_drmg(client_as, post, username):
    client = client_as(username)
    assert client.get(_new_url(post)).status_code == 403
    response = client.post(
        _new_url(post), {"physician": MEMBER, "year": YEAR, "justification": "…"}
    )
    assert response.status_code == 403
    assert not DrmgNotice.objects.exists()


def _foreign_post() -> Post:
    """A post of a GMF of another region."""
    other = Region.objects.create(code="99", name="Autre région")
    rls = Rls.objects.create(
        code="9901", region=other, name="Ailleurs", latitude=46.0, longitude=-72.0
    )
    gmf = Gmf.objects.create(
        code="G9901",
        name="GMF d'ailleurs",
        rls=rls,
        kind="gmf",
        recognized_on=datetime.date(2018, 4, 1),
    )
    return _post(gmf)


def test_it_refuses_a_post_of_another_region_in_the_service(region, drmg):
    with pytest.raises(DrmgNoticeRefused, match="not of the region"):
        _record(region, drmg, _foreign_post())
    assert not DrmgNotice.objects.exists()


def test_it_answers_404_for_a_post_of_another_region_or_none(drmg_client, region):
    foreign = _foreign_post()
    assert drmg_client.get(_new_url(foreign)).status_code == 404
    response = drmg_client.post(
        _new_url(foreign), {"physician": MEMBER, "year": YEAR, "justification": "…"}
    )
    assert response.status_code == 404
    assert drmg_client.get(reverse("assiduity:notice-new") + "?post=0").status_code == 404
    assert drmg_client.get(reverse("assiduity:notice-new") + "?post=abc").status_code == 404
    assert not DrmgNotice.objects.exists()


# --------------------------------------------------------------------------- the proposals


@pytest.fixture
def listed(done_run) -> tuple[str, Post]:
    """A physician on the committee's list of the demo's computation, member of a GMF,
    and a post of that GMF vacant past its deadline in the year."""
    rows = [row for row in figures.committee_rows(done_run, None) if row["gmf_code"]]
    assert rows, "the demo has a GMF member on the committee's list"
    row = rows[0]
    return row["physician_id"], _post(Gmf.objects.get(code=row["gmf_code"]))


def test_it_proposes_the_notice_on_the_committee_s_list_to_the_drmg_only(
    drmg_client, other_cml_client, demo_user, done_run, listed
):
    code, post = listed
    # The CML of the physician's RLS reads the same row (the list's D00009, RLS 0116).
    assert code in access.assiduity_scope(demo_user("cml.kamouraska"))
    url = reverse("assiduity:committee", args=[done_run.pk])
    page = drmg_client.get(url).content.decode()
    assert f"?physician={code}&amp;year={YEAR}&amp;post={post.pk}" in page
    assert f"Vacant post: {DAYS} days — Propose the notice" in visible_text(page)
    cml_page = other_cml_client.get(url).content.decode()
    assert f'data-physician="{code}"' in cml_page
    assert "propose-notice" not in cml_page and f"post={post.pk}" not in cml_page


def test_it_proposes_the_notice_on_the_physician_s_page_to_the_drmg_only(
    drmg_client, other_cml_client, done_run, listed
):
    code, post = listed
    url = reverse("assiduity:physician", args=[done_run.pk, code])
    page = drmg_client.get(url).content.decode()
    assert f"?physician={code}&amp;year={YEAR}&amp;post={post.pk}" in page
    assert f"Vacant post: {DAYS} days — Propose the notice" in visible_text(page)
    cml_page = other_cml_client.get(url)
    assert cml_page.status_code == 200
    assert "propose-notice" not in cml_page.content.decode()


def test_it_proposes_nothing_once_a_notice_is_in_force(drmg_client, drmg, done_run, listed):
    code, post = listed
    DrmgNotice.objects.create(
        region=done_run.region,
        physician_code=code,
        gmf_code=post.gmf.code,
        year=YEAR,
        justification="…",
        recorded_by=drmg,
    )
    for url in (
        reverse("assiduity:committee", args=[done_run.pk]),
        reverse("assiduity:physician", args=[done_run.pk, code]),
    ):
        assert "propose-notice" not in drmg_client.get(url).content.decode(), url
