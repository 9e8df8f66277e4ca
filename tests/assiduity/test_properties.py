"""Invariants of the engine on random small datasets (hypothesis).

The datasets keep the contract (one registration per patient and day, one GMF membership
per physician and day) and draw everything else freely: settings, billing codes, triage,
flags, pregnancy, practice groups, partnerships, agreements, dates on and around the
year's bounds. Each test compiles its queries once and reruns them on every example.
"""

from __future__ import annotations

from typing import Any

import pytest
from cases import YEAR, Case, Runner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panelcare.assiduity import explain_physician, physician_rates, visit_outcomes

PHYSICIANS = ("D0", "D1", "D2", "D3")
IPS = ("N0", "N1")
PATIENTS = ("p0", "p1", "p2", "p3", "p4")
SITES = ("S0", "S1", "S2", "S3", "ER")
DAYS = (
    f"{YEAR - 1}-12-31",
    f"{YEAR}-01-01",
    f"{YEAR}-03-01",
    f"{YEAR}-06-30",
    f"{YEAR}-07-01",
    f"{YEAR}-12-31",
    f"{YEAR + 1}-01-01",
)
SETTINGS = ("cabinet", "gmf", "gmf_r", "clsc", "domicile", "urgence_ch", "urgence_clsc", "other")
CODES = ("00010", "09900", "98005", "15101", "9900", None)
EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The @given functions are inside the tests (the queries are compiled once per test), so
# hypothesis's plugin cannot see them: the module says it is hypothesis itself. About 35 s.
pytestmark = [pytest.mark.hypothesis, pytest.mark.slow]


def period(draw: Any) -> tuple[str, str | None]:
    start, end = sorted(draw(st.lists(st.sampled_from(DAYS), min_size=2, max_size=2, unique=True)))
    return start, draw(st.sampled_from((end, None)))


@st.composite
def visits(draw: Any, case: Case, count: int) -> None:
    for _ in range(count):
        kind = draw(st.sampled_from(("physician", "physician", "ips", "other")))
        provider = draw(st.sampled_from(IPS if kind == "ips" else (*PHYSICIANS, "Z")))
        case.visit(
            draw(st.sampled_from(PATIENTS)),
            provider,
            kind=kind,
            on=draw(st.sampled_from(DAYS)),
            site=draw(st.sampled_from((*SITES, None))),
            setting=draw(st.sampled_from(SETTINGS)),
            code=draw(st.sampled_from(CODES)),
            triage=draw(st.sampled_from(("P1", "P3", "P4", "P5", None))),
            admitted=draw(st.booleans()),
            repeat=draw(st.booleans()),
            referred=draw(st.booleans()),
            death=draw(st.booleans()),
            pregnancy=draw(st.booleans()),
        )


@st.composite
def datasets(draw: Any) -> Case:
    case = Case()
    case.site("S0", "G0")
    case.site("S1", "G0")
    case.site("S2", "G1", kind=draw(st.sampled_from(("gmf", "gmf_r", "gmf_u"))))
    for patient in PATIENTS:
        # None, one or two successive registrations.
        first, second = draw(st.sampled_from(PHYSICIANS)), draw(st.sampled_from(PHYSICIANS))
        site = draw(st.sampled_from(SITES[:4]))
        shape = draw(st.integers(0, 2))
        if shape == 1:
            start, end = period(draw)
            case.register(patient, first, site=site, start=start, end=end)
        elif shape == 2:
            case.register(patient, first, site=site, end=f"{YEAR}-07-01")
            case.register(patient, second, site=site, start=f"{YEAR}-07-01")
    for physician in (*PHYSICIANS, "Z"):
        if draw(st.booleans()):
            start, end = period(draw)
            case.member(physician, draw(st.sampled_from(("G0", "G1"))), start=start, end=end)
        if draw(st.booleans()):
            start, end = period(draw)
            case.group(physician, draw(st.sampled_from(("g0", "g1"))), start=start, end=end)
        if draw(st.booleans()):
            case.drmg(physician)
    for ips in IPS:
        for physician in draw(st.lists(st.sampled_from(PHYSICIANS), max_size=2, unique=True)):
            start, end = period(draw)
            case.partner(ips, physician, start=start, end=end)
    if draw(st.booleans()):
        start, end = period(draw)
        case.agreement("G0", "G1", start=start, end=end)
    if draw(st.booleans()):
        case.coverage("G1", draw(st.sampled_from((1, 18_000))))
    draw(visits(case, draw(st.integers(0, 12))))
    return case


def test_it_keeps_rates_in_bounds_and_agrees_with_the_visit_outcomes():
    runner = Runner()

    @EXAMPLES
    @given(datasets())
    def check(case: Case) -> None:
        runner.load(case.arrow())
        rates = runner.run(physician_rates)
        outcomes = runner.run(visit_outcomes)
        for row in rates:
            assert 0 <= row["assiduous_visits"] <= row["counted_visits"]
            if row["counted_visits"]:
                assert 0 <= row["rate"] <= 1
            else:
                assert (row["rate"], row["tier"]) == (None, "no_visits")
        # The rates' fast path (exclusions as a flag, no outcome rows) and the outcomes
        # classify the same way.
        for row in rates:
            mine = [o for o in outcomes if o["physician_id"] == row["physician_id"]]
            assert sum(o["counted"] for o in mine) == row["counted_visits"]
            assert sum(o["assiduous"] for o in mine) == row["assiduous_visits"]
        assert all(o["assiduous"] <= o["counted"] for o in outcomes)
        # Every visit of the year has its row, and a second one only for the physician who
        # made a pregnancy follow-up of another physician's patient.
        in_year = {v["visit_id"]: v for v in case.rows["visits"] if v["visit_date"].year == YEAR}
        assert {o["visit_id"] for o in outcomes} == set(in_year)
        for visit_id, visit in in_year.items():
            rows = [o for o in outcomes if o["visit_id"] == visit_id]
            assert len(rows) in (1, 2)
            if len(rows) == 2:
                assert visit["pregnancy_followup"] and visit["provider_kind"] == "physician"
                assert visit["provider_id"] in {o["physician_id"] for o in rows}

    check()


EXCLUDED = (
    st.fixed_dictionaries(
        {
            "code": st.sampled_from(("09900", "00013", "98000", "98012", "9801")),
        }
    )
    | st.fixed_dictionaries({"setting": st.sampled_from(("other", "chsld"))})
    | st.fixed_dictionaries({"kind": st.just("other")})
    | st.fixed_dictionaries(
        {
            "setting": st.sampled_from(("urgence_ch", "urgence_clsc")),
            "triage": st.sampled_from(("P1", "P2", "P3")),
        }
    )
)


def test_it_is_unchanged_by_adding_an_excluded_visit():
    runner = Runner()

    @EXAMPLES
    @given(datasets(), EXCLUDED, st.data())
    def check(case: Case, exclusion: dict[str, Any], data: st.DataObject) -> None:
        runner.load(case.arrow())
        before = runner.run(physician_rates)
        visit = {
            "site": data.draw(st.sampled_from(SITES)),
            "setting": "cabinet",
            "on": data.draw(st.sampled_from(DAYS)),
            "pregnancy": data.draw(st.booleans()),
            **exclusion,
        }
        case.visit(
            data.draw(st.sampled_from(PATIENTS)), data.draw(st.sampled_from(PHYSICIANS)), **visit
        )
        runner.load(case.arrow())
        assert runner.run(physician_rates) == before

    check()


def test_it_explains_every_counted_and_assiduous_visit():
    runner = Runner()

    @EXAMPLES
    @given(datasets())
    def check(case: Case) -> None:
        runner.load(case.arrow())
        for row in runner.run(physician_rates):
            rows = runner.run(explain_physician, physician=row["physician_id"])
            assert sum(r["counted"] for r in rows) == row["counted_visits"]
            assert sum(r["assiduous"] for r in rows) == row["assiduous_visits"]

    check()
