"""The cycle's selection: the current cycle, selecting a physician once a cycle, the one
deferral by a year, their audit entries; the selection page and its refusals."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from panelcare.quality import cycle
from web.audit.models import AuditEvent
from web.quality.errors import SelectionRefused
from web.quality.models import QualityAction, Selection
from web.quality.services import selection as services
from web.quality.tests.conftest import World

ON = datetime.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """The messages' ids (English), in the services and on the pages."""


def _select(world: World, code: str = "M2", *, due=datetime.date(2030, 12, 31), on=ON) -> Selection:
    return services.do_select_physician(
        world.region, world.physicians[code], 2026, due, on=on, acting_user=world.users["coach"]
    )


# --------------------------------------------------------------------------- the cycle


@pytest.mark.parametrize(
    ("day", "first_year"),
    [
        (datetime.date(2026, 1, 1), 2026),
        (datetime.date(2030, 12, 31), 2026),
        (datetime.date(2031, 1, 1), 2031),
        (datetime.date(2036, 6, 1), 2036),
    ],
)
def test_it_finds_the_cycle_holding_a_day(day, first_year) -> None:
    assert services.current_cycle(day) == first_year


def test_it_names_a_cycle_by_its_years() -> None:
    assert services.cycle_name(2031) == "2031-2035"


def test_it_finds_no_open_selection_once_the_requirement_is_met(world) -> None:
    assert services.open_selection(world.physicians["M1"]) == world.selection
    world.selection.completed_on = datetime.date(2027, 3, 1)
    world.selection.save(update_fields=["completed_on"])
    assert services.open_selection(world.physicians["M1"]) is None
    assert services.cycle_record(world.selection).due == datetime.date(2032, 3, 1)


# --------------------------------------------------------------------------- selecting


def test_it_selects_a_physician_and_records_it(world) -> None:
    selection = _select(world)
    assert selection.region == world.region
    assert (selection.cycle, selection.selected_on, selection.due) == (
        2026,
        ON,
        datetime.date(2030, 12, 31),
    )
    assert selection.selected_by == world.users["coach"]
    entry = AuditEvent.objects.about(selection).get()
    assert entry.action == QualityAction.PHYSICIAN_SELECTED
    assert entry.region == world.region
    assert entry.details["physician"] == "M2"


def test_it_selects_a_physician_once_a_cycle(world) -> None:
    with pytest.raises(SelectionRefused, match="already selected for the 2026-2030 cycle"):
        _select(world, "M1")
    assert Selection.objects.filter(physician=world.physicians["M1"]).count() == 1


def test_it_refuses_a_physician_of_another_region(world) -> None:
    with pytest.raises(SelectionRefused, match="does not practise in the region"):
        _select(world, "M20")
    assert not Selection.objects.filter(physician=world.physicians["M20"]).exists()


def test_it_refuses_a_due_date_before_the_selection(world) -> None:
    with pytest.raises(SelectionRefused, match="before the selection"):
        _select(world, due=ON - datetime.timedelta(days=1))


# --------------------------------------------------------------------------- deferring


def test_it_defers_by_one_year_and_records_it(world) -> None:
    deferred = services.do_defer_selection(
        world.selection, on=datetime.date(2026, 6, 1), acting_user=world.users["drmg"]
    )
    assert deferred.due == datetime.date(2031, 12, 31)
    assert deferred.deferred_on == datetime.date(2026, 6, 1)
    assert deferred.deferred_by == world.users["drmg"]
    entry = AuditEvent.objects.about(deferred).get(action=QualityAction.SELECTION_DEFERRED)
    assert entry.details["previous_due"] == "2030-12-31"
    assert entry.details["due"] == "2031-12-31"


def test_it_defers_once_a_cycle(world) -> None:
    services.do_defer_selection(world.selection, on=ON, acting_user=world.users["drmg"])
    with pytest.raises(SelectionRefused, match="deferred once only"):
        services.do_defer_selection(world.selection, on=ON, acting_user=world.users["drmg"])
    world.selection.refresh_from_db()
    assert world.selection.due == datetime.date(2031, 12, 31)


def test_it_refuses_a_deferral_after_the_due_date(world) -> None:
    with pytest.raises(SelectionRefused, match="on or before the due date"):
        services.do_defer_selection(
            world.selection, on=datetime.date(2031, 1, 1), acting_user=world.users["drmg"]
        )


def test_it_refuses_a_deferral_once_the_requirement_is_met(world) -> None:
    world.selection.completed_on = datetime.date(2026, 2, 1)
    world.selection.save(update_fields=["completed_on"])
    with pytest.raises(SelectionRefused, match="already met the requirement"):
        services.do_defer_selection(world.selection, on=ON, acting_user=world.users["drmg"])


# --------------------------------------------------------------------------- pages


def _current() -> int:
    return services.current_cycle(timezone.localdate())


def _selected_today(world: World, code: str) -> Selection:
    """A selection of the current cycle, due in a year: deferrable whatever today is."""
    today = timezone.localdate()
    return services.do_select_physician(
        world.region,
        world.physicians[code],
        _current(),
        today + datetime.timedelta(days=365),
        on=today,
        acting_user=world.users["coach"],
    )


@pytest.mark.parametrize("name", ["coach", "drmg"])
def test_it_lists_the_regions_physicians_with_their_selection(
    world, english_client_for, name
) -> None:
    selected = _selected_today(world, "M3")
    response = english_client_for(name).get("/quality/selection/")
    assert response.status_code == 200
    rows = {row["physician"].code: row for row in response.context["rows"]}
    assert set(rows) == {f"M{i}" for i in range(1, 10)}  # not M20, of another region
    assert rows["M3"]["selection"] == selected
    assert rows["M3"]["may_defer"]
    assert rows["M4"]["selection"] is None
    page = response.content.decode()
    assert 'data-testid="defer-M3"' in page
    assert 'data-testid="defer-M4"' not in page
    # The form offers only the physicians not selected yet.
    assert selected.physician not in response.context["form"].fields["physician"].queryset


@pytest.mark.parametrize("name", ["m1", "cml", "gmf", "ciusss", "doc_no_record"])
def test_it_refuses_the_selection_but_to_a_coach_or_the_drmg(
    world, english_client_for, name
) -> None:
    assert english_client_for(name).get("/quality/selection/").status_code == 403


def test_it_selects_from_the_page(world, english_client_for) -> None:
    due = datetime.date(_current() + 4, 12, 31)
    response = english_client_for("drmg").post(
        "/quality/selection/", {"physician": world.physicians["M5"].pk, "due": due.isoformat()}
    )
    assert response.status_code == 302
    selection = Selection.objects.get(physician=world.physicians["M5"])
    assert (selection.cycle, selection.due) == (_current(), due)
    assert selection.selected_by == world.users["drmg"]


def test_it_offers_the_cycles_last_day_as_the_due_date(world, english_client_for) -> None:
    form = english_client_for("coach").get("/quality/selection/").context["form"]
    assert form.initial["due"] == datetime.date(_current() + 4, 12, 31)
    assert f'value="{_current() + 4}-12-31"' in str(form["due"])


def test_it_refuses_a_physician_of_another_region_on_the_page(world, english_client_for) -> None:
    response = english_client_for("coach").post(
        "/quality/selection/", {"physician": world.physicians["M20"].pk, "due": "2030-12-31"}
    )
    assert response.status_code == 200
    assert "physician" in response.context["form"].errors
    assert not Selection.objects.filter(physician=world.physicians["M20"]).exists()


def test_it_says_a_refusal_of_the_service_on_the_form(world, english_client_for) -> None:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = english_client_for("coach").post(
        "/quality/selection/",
        {"physician": world.physicians["M5"].pk, "due": yesterday.isoformat()},
    )
    assert response.status_code == 200
    assert "before the selection" in str(response.context["form"].non_field_errors())
    assert not Selection.objects.filter(physician=world.physicians["M5"]).exists()


def test_it_defers_from_the_page(world, english_client_for) -> None:
    selection = _selected_today(world, "M3")
    due = selection.due
    response = english_client_for("coach").post(f"/quality/selection/{selection.pk}/defer/")
    assert response.status_code == 302
    selection.refresh_from_db()
    assert selection.deferred_on == timezone.localdate()
    assert selection.due == cycle.add_years(due, 1)


@pytest.mark.parametrize(
    ("name", "status"), [("m3", 403), ("cml", 403), ("coach9", 404), ("drmg9", 404)]
)
def test_it_refuses_a_deferral_but_to_the_regions_coach_or_drmg(
    world, english_client_for, name, status
) -> None:
    selection = _selected_today(world, "M3")
    assert (
        english_client_for(name).post(f"/quality/selection/{selection.pk}/defer/").status_code
        == status
    )
    selection.refresh_from_db()
    assert selection.deferred_on is None


def test_it_refuses_the_get_of_a_deferral(world, english_client_for) -> None:
    selection = _selected_today(world, "M3")
    assert (
        english_client_for("coach").get(f"/quality/selection/{selection.pk}/defer/").status_code
        == 405
    )
