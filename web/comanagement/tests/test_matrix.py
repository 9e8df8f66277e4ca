"""The responsibility matrix: the seed's 13 processes as data, and its page (with
``?gmf=``: each line's records and open alerts of that GMF)."""

from __future__ import annotations

import datetime

import pytest

from web.comanagement import alerts, matrix


def test_it_holds_the_seeds_thirteen_processes_each_with_a_side() -> None:
    assert len(matrix.PROCESSES) == 13
    assert len({process.key for process in matrix.PROCESSES}) == 13
    for process in matrix.PROCESSES:
        assert str(process.gmf) or str(process.shared) or str(process.ciusss), process.key
        assert process.links, process.key


def test_it_says_quality_and_human_resources_are_discussed_in_the_joint_follow_up() -> None:
    discussed = {process.key for process in matrix.PROCESSES if process.discussed}
    assert {"quality", "human_resources"} <= discussed
    assert "hire" not in discussed


def test_it_gives_no_links_without_a_gmf() -> None:
    assert all(line.links == [] for line in matrix.matrix_lines(None))


def test_it_counts_a_gmfs_records_and_open_alerts(world) -> None:
    rows = alerts.alerts([world.gmf], datetime.date(2026, 2, 5))
    lines = {line.key: line for line in matrix.matrix_lines(world.gmf, rows)}
    integrate = lines["integrate"]
    assert integrate.alerts == 14
    assert [(link.url, link.count) for link in integrate.links] == [
        ("/comanagement/gmfs/G1/professionals/", 14)
    ]
    assert lines["hire"].alerts == 0
    assert (
        lines["quality"].links[0].url == "/comanagement/gmfs/G1/performance/?topic=quality#meetings"
    )


def test_it_shows_the_gmf_manager_their_gmfs_matrix(client_for) -> None:
    page = client_for("gmf").get("/comanagement/matrix/").content.decode()
    assert 'data-testid="matrix-integrate"' in page
    assert "/comanagement/gmfs/G1/professionals/" in page
    # Today the world's checklist is late: 14 open alerts on the integration line.
    assert 'data-testid="matrix-alerts-integrate"><a' in page


def test_it_lets_the_drmg_choose_a_gmf(client_for) -> None:
    client = client_for("drmg")
    page = client.get("/comanagement/matrix/").content.decode()
    assert 'data-testid="matrix-gmf-form"' in page
    assert "/comanagement/gmfs/G1/" not in page
    page = client.get("/comanagement/matrix/?gmf=G1").content.decode()
    assert "/comanagement/gmfs/G1/posts/" in page


@pytest.mark.parametrize("name", ["cml", "physician", "coach", "gmf_no_gmf", "ciusss_no_est"])
def test_it_refuses_the_matrix_to_other_roles(client_for, name: str) -> None:
    assert client_for(name).get("/comanagement/matrix/").status_code == 403


@pytest.mark.parametrize("name", ["gmf2", "ciusss2", "drmg9", "gmf9", "ciusss9"])
def test_it_never_shows_g1s_matrix_outside_g1s_readers(client_for, name: str) -> None:
    assert client_for(name).get("/comanagement/matrix/?gmf=G1").status_code == 404


def test_it_shows_the_menu_entry_to_the_co_management_roles_only(client_for) -> None:
    assert (
        'data-testid="nav-comanagement"'
        in client_for("ciusss").get("/comanagement/matrix/").content.decode()
    )
    response = client_for("physician").get("/", follow=True)
    assert response.status_code == 200
    assert 'data-testid="nav-assiduity"' in response.content.decode()
    assert 'data-testid="nav-comanagement"' not in response.content.decode()
