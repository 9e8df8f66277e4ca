"""Who sees which assiduity computation and which physician's results
(``web.accounts.access``: ``visible_assiduity_runs``, ``access_assiduity_run``,
``assiduity_scope``, ``access_assiduity_physician``, ``access_assiduity_region``): the
DRMG the region's physicians, a CML their RLS's, a GMF manager their GMF's members, a
physician themself; the other roles 403, another territory 404."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from web.accounts import access
from web.assiduity import services
from web.assiduity.models import AssiduityRun, AssiduityRunStatus
from web.assiduity.tests.conftest import YEAR
from web.regions.models import GmfMembership, Physician, Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_region_run(done_run: AssiduityRun) -> AssiduityRun:
    """A finished computation of another region."""
    region = Region.objects.create(code="99", name="Autre région")
    return AssiduityRun.objects.create(
        region=region, year=YEAR, status=AssiduityRunStatus.DONE, created_by=done_run.created_by
    )


@pytest.fixture
def queued_run(region, drmg, hold_queue) -> AssiduityRun:
    return services.do_start_assiduity_run(region, YEAR, acting_user=drmg)


def _codes_of_rls(rls) -> frozenset[str]:
    return frozenset(Physician.objects.filter(rls=rls).values_list("code", flat=True))


# --------------------------------------------------------------------------- who computes


@pytest.mark.parametrize(
    ("username", "computes"),
    [
        ("drmg", True),
        ("cml.rimouski", True),
        ("gestion.gmf", False),
        ("medecin", False),
        ("ciusss", False),
        ("coach", False),
    ],
)
def test_it_lets_the_drmg_and_the_cmls_compute(demo_user, username, computes):
    user = demo_user(username)
    assert access.can_compute_assiduity(user) is computes
    if computes:
        assert access.access_assiduity_region(user) == Region.objects.get()
    else:
        with pytest.raises(PermissionDenied):
            access.access_assiduity_region(user)


def test_it_refuses_the_computation_to_a_cml_without_an_rls(demo_user):
    cml = demo_user("cml.rimouski")
    cml.profile.rls.clear()
    assert not access.can_compute_assiduity(demo_user("cml.rimouski"))


def test_it_refuses_a_user_without_a_profile(demo_user):
    admin = demo_user("admin")
    assert not access.can_compute_assiduity(admin)
    with pytest.raises(PermissionDenied):
        access.visible_assiduity_runs(admin)
    with pytest.raises(PermissionDenied):
        access.assiduity_scope(admin)


# --------------------------------------------------------------------------- which runs


def test_it_shows_the_drmg_and_the_cml_every_run_of_the_region(
    demo_user, done_run, queued_run, other_region_run
):
    for username in ("drmg", "cml.rimouski", "cml.kamouraska"):
        runs = set(access.visible_assiduity_runs(demo_user(username)))
        assert runs == {done_run, queued_run}


def test_it_shows_a_gmf_manager_and_a_physician_the_finished_runs_only(
    demo_user, done_run, queued_run, other_region_run
):
    for username in ("gestion.gmf", "medecin"):
        user = demo_user(username)
        assert list(access.visible_assiduity_runs(user)) == [done_run]
        with pytest.raises(Http404):
            access.access_assiduity_run(user, queued_run.pk)


@pytest.mark.parametrize("username", ["ciusss", "coach"])
def test_it_refuses_the_roles_the_assiduity_is_not_for(demo_user, done_run, username):
    user = demo_user(username)
    with pytest.raises(PermissionDenied):
        access.visible_assiduity_runs(user)
    with pytest.raises(PermissionDenied):
        access.access_assiduity_run(user, done_run.pk)
    with pytest.raises(PermissionDenied):
        access.assiduity_scope(user)
    with pytest.raises(PermissionDenied):
        access.access_assiduity_physician(user, done_run, "D00001")


def test_it_answers_404_for_another_regions_run(demo_user, other_region_run):
    for username in ("drmg", "cml.rimouski", "gestion.gmf", "medecin"):
        with pytest.raises(Http404):
            access.access_assiduity_run(demo_user(username), other_region_run.pk)


def test_it_refuses_cancelling_to_a_role_that_does_not_compute(demo_user, queued_run):
    with pytest.raises(PermissionDenied):
        access.access_assiduity_run(demo_user("gestion.gmf"), queued_run.pk, compute=True)
    assert access.access_assiduity_run(demo_user("drmg"), queued_run.pk, compute=True)


# --------------------------------------------------------------------------- whose results


def test_it_gives_the_drmg_every_physician(demo_user, done_run):
    drmg = demo_user("drmg")
    assert access.assiduity_scope(drmg) is None
    for code in ("D-UNKNOWN-TO-THE-ROSTER", *Physician.objects.values_list("code", flat=True)):
        assert access.access_assiduity_physician(drmg, done_run, code) == code


def test_it_gives_a_cml_the_physicians_of_their_rls(demo_user, done_run, own_rls, other_rls):
    cml = demo_user("cml.rimouski")
    own, other = _codes_of_rls(own_rls), _codes_of_rls(other_rls)
    assert own and other
    assert access.assiduity_scope(cml) == own
    assert access.access_assiduity_physician(cml, done_run, min(own)) == min(own)
    with pytest.raises(Http404):  # another RLS's physician
        access.access_assiduity_physician(cml, done_run, min(other))


def test_it_gives_a_gmf_manager_the_members_of_their_gmf(demo_user, done_run):
    manager = demo_user("gestion.gmf")
    gmf = manager.profile.gmf
    members = frozenset(
        GmfMembership.objects.filter(gmf=gmf)
        .active_on(timezone.localdate())
        .values_list("physician_code", flat=True)
    )
    assert members and access.assiduity_scope(manager) == members
    outsider = Physician.objects.exclude(code__in=members).values_list("code", flat=True)[0]
    with pytest.raises(Http404):  # a physician not of their GMF
        access.access_assiduity_physician(manager, done_run, outsider)


def test_it_gives_a_physician_themself_only(demo_user, done_run):
    physician_user = demo_user("medecin")
    own = physician_user.profile.physician.code
    assert access.assiduity_scope(physician_user) == frozenset({own})
    assert access.access_assiduity_physician(physician_user, done_run, own) == own
    colleague = Physician.objects.exclude(code=own).values_list("code", flat=True)[0]
    with pytest.raises(Http404):  # another physician
        access.access_assiduity_physician(physician_user, done_run, colleague)


def test_it_answers_404_for_a_physician_of_another_regions_run(demo_user, other_region_run):
    drmg = demo_user("drmg")
    with pytest.raises(Http404):
        access.access_assiduity_physician(drmg, other_region_run, "D00001")


# --------------------------------------------------------------------------- the pages


@pytest.mark.parametrize("username", ["ciusss", "coach"])
def test_it_answers_403_on_every_page_to_the_roles_the_assiduity_is_not_for(
    client_as, done_run, username
):
    client = client_as(username)
    assert client.get(reverse("assiduity:home")).status_code == 403
    assert client.get(reverse("assiduity:run-detail", args=[done_run.pk])).status_code == 403
    assert client.get(reverse("assiduity:run-progress", args=[done_run.pk])).status_code == 403


@pytest.mark.parametrize("username", ["gestion.gmf", "medecin", "ciusss"])
def test_it_refuses_starting_a_computation_to_a_role_that_does_not_compute(
    client_as, region, username, hold_queue
):
    response = client_as(username).post(reverse("assiduity:run-start"), {"year": YEAR})
    assert response.status_code == 403
    assert hold_queue == []


def test_it_refuses_cancelling_on_the_page_to_a_physician(client_as, queued_run):
    response = client_as("medecin").post(reverse("assiduity:run-cancel", args=[queued_run.pk]))
    assert response.status_code == 403
    queued_run.refresh_from_db()
    assert queued_run.status == AssiduityRunStatus.QUEUED


def test_it_answers_404_on_the_page_of_another_regions_run(client_as, other_region_run):
    url = reverse("assiduity:run-detail", args=[other_region_run.pk])
    assert client_as("drmg").get(url).status_code == 404


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, done_run):
    response = client.get(reverse("assiduity:run-detail", args=[done_run.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_it_answers_404_to_a_cml_asking_a_queued_run_of_another_region(client_as, other_region_run):
    AssiduityRun.objects.filter(pk=other_region_run.pk).update(status=AssiduityRunStatus.QUEUED)
    url = reverse("assiduity:run-progress", args=[other_region_run.pk])
    assert client_as("cml.rimouski").get(url).status_code == 404
