"""Explanations for one physician: the visits one by one, and the summary by reason."""

from __future__ import annotations

import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cases import GOLDEN, RULES, YEAR, Case, combine, golden_gmf

from panelcare.assiduity import (
    EXPLANATION_COLUMNS,
    AssiduityTables,
    explain_physician,
    load_rules,
    reason_summary,
)
from panelcare.assiduity.explain import explain_folder, explain_now
from panelcare.assiduity.io import (
    AssiduityInputError,
    DataFolder,
    connect,
    open_tables,
    write_csv_atomically,
)


def test_it_lists_the_physician_s_visits_by_date_with_the_spec_columns():
    case = Case()
    case.register("p1", "D", site="S1")
    case.register("p2", "E", site="S1")
    late = case.visit("p1", "D", site="S1", setting="cabinet", on=f"{YEAR}-09-01")
    early = case.visit("p1", "Z", site="ER", setting="urgence_ch", triage="P1", on=f"{YEAR}-02-01")
    case.visit("p2", "D", site="S1", setting="cabinet")  # E's patient: not D's row
    rows = case.explain("D")
    assert [row["visit_id"] for row in rows] == [early, late]
    assert all(tuple(row) == EXPLANATION_COLUMNS for row in rows)
    assert rows[0] == {
        "visit_id": early,
        "patient_id": "p1",
        "provider_id": "Z",
        "counted": False,
        "assiduous": False,
        "reason": "er_priority_1_3",
        "visit_date": datetime.date(YEAR, 2, 1),
        "site_id": "ER",
        "setting": "urgence_ch",
    }


def test_it_orders_visits_of_the_same_day_by_id():
    case = Case()
    case.register("p1", "D", site="S1")
    for visit_id in ("b", "c", "a"):
        case.visit("p1", "D", site="S1", setting="cabinet", visit_id=visit_id)
    assert [row["visit_id"] for row in case.explain("D")] == ["a", "b", "c"]


def test_it_shows_the_pregnancy_follow_ups_the_physician_made_for_others():
    case = Case()
    case.register("p1", "A")
    visit = case.visit("p1", "B", site="SB", setting="cabinet", pregnancy=True)
    assert [(r["visit_id"], r["reason"]) for r in case.explain("B")] == [(visit, "pregnancy_own")]
    assert [(r["visit_id"], r["reason"]) for r in case.explain("A")] == [
        (visit, "pregnancy_other_physician")
    ]


def test_it_leaves_out_a_visit_made_while_the_patient_was_someone_else_s():
    case = Case()
    case.register("p1", "A", end=f"{YEAR}-06-01")
    case.register("p1", "D", start=f"{YEAR}-06-01")
    case.visit("p1", "A", setting="cabinet", on=f"{YEAR}-05-01")
    mine = case.visit("p1", "D", setting="cabinet", on=f"{YEAR}-07-01")
    assert [row["visit_id"] for row in case.explain("D")] == [mine]


def test_it_matches_the_rates_of_the_golden_case():
    case = golden_gmf()
    rows = case.explain("D")
    row = case.rate("D")
    assert sum(r["counted"] for r in rows) == row["counted_visits"] == 5
    assert sum(r["assiduous"] for r in rows) == row["assiduous_visits"] == 3


def summary_of(case: Case, physician: str = "D") -> dict[tuple[str, str | None], int]:
    return {(r["reason"], r["provider_category"]): r["visits"] for r in case.summary(physician)}


def test_it_sorts_other_providers_into_er_other_gmf_ips_and_other_clinic():
    # D is a member of G (site S1), IPS N is partnered with D, E is a member of GMF H
    # (no agreement), IPS M is partnered with nobody, Z practises outside any GMF.
    case = Case()
    case.site("S1", "G")
    case.site("SH", "H")
    case.member("D", "G")
    case.member("E", "H")
    case.partner("N", "D")
    case.register("p1", "D", site="S1")
    case.visit("p1", "Z", site="ER", setting="urgence_clsc", triage="P5")
    case.visit("p1", "E", site="SH")
    case.visit("p1", "E", site="ER", setting="urgence_ch", triage="P4")  # the ER first
    case.visit("p1", "M", kind="ips", site="X", setting="clsc")
    case.visit("p1", "N", kind="ips", site="X", setting="clsc")  # partnered, elsewhere
    case.visit("p1", "Z", site="X", setting="cabinet")
    case.visit("p1", "D", site="S1")
    assert summary_of(case) == {
        ("own_visit", None): 1,
        ("other_provider", "er"): 2,
        ("other_provider", "other_gmf"): 1,
        ("other_provider", "ips_outside_group"): 1,
        ("other_provider", "other_clinic"): 2,
    }


def test_it_counts_any_gmf_as_another_gmf_for_a_non_member():
    case = Case()
    case.member("E", "H")
    case.partner("N", "D")
    case.register("p1", "D", site="S1")
    case.visit("p1", "E", site="SH", setting="gmf")
    case.visit("p1", "N", kind="ips", site="X", setting="clsc")  # D's partner, elsewhere
    case.visit("p1", "M", kind="ips", site="S1", setting="cabinet")
    assert summary_of(case) == {
        ("other_provider", "other_gmf"): 1,
        ("other_provider", "other_clinic"): 1,
        ("other_provider", "ips_outside_group"): 1,
    }


def test_it_orders_the_summary_credited_counted_then_excluded():
    rows = golden_gmf().summary("D")
    assert [(r["reason"], r["provider_category"]) for r in rows] == [
        ("own_visit", None),
        ("group_member", None),
        ("ips_partner", None),
        ("other_provider", "er"),
        ("other_provider", "other_clinic"),
        ("er_priority_1_3", None),
        ("er_admitted", None),
        ("er_repeat", None),
        ("er_referred", None),
        ("er_death", None),
        ("own_visit_elsewhere", None),
        ("service_agreement", None),
        ("gmf_r_small_agreements", None),
    ]
    assert [(r["counted"], r["assiduous"]) for r in rows][:5] == [(True, True)] * 3 + [
        (True, False)
    ] * 2
    assert all(not r["counted"] for r in rows[5:])


def test_it_explains_at_once_as_the_lazy_expressions_do():
    """explain_now (what the CLI runs: the physician's visits first, classified once)
    gives explain_physician's rows and reason_summary's, for a member with every
    exclusion, a non-member with pregnancy follow-ups (their own and another's), the
    maker of a follow-up of another's patient, and an unknown physician."""
    con = connect()
    tables = AssiduityTables.from_mapping(combine(factory() for factory in GOLDEN))
    for physician in ("c0.D", "c1.D", "c1.B", "nobody"):
        visits, summary = explain_now(tables, YEAR, physician, RULES, con)
        expected = con.to_pyarrow(explain_physician(tables, YEAR, physician, RULES))
        assert visits.equals(expected), physician
        assert (visits.num_rows > 0) == (physician != "nobody")
        assert summary.equals(con.to_pyarrow(reason_summary(tables, YEAR, physician, RULES)))


# --- explain_folder: the rows an explanation reads, read from the files -------------------


def _write_folder(folder: Path, tables: dict[str, pa.Table], fmt: str) -> Path:
    """The tables as a data folder (Parquet, or CSV as the contract writes it)."""
    folder.mkdir(parents=True)
    for name, table in tables.items():
        if fmt == "parquet":
            pq.write_table(table, folder / f"{name}.parquet")
        else:
            write_csv_atomically(table, folder / f"{name}.csv")
    return folder


def _changes_and_follow_ups() -> Case:
    """D's patients: p1 all year; p2 registered with A until June, then with D; p3 with
    A, seen by D for a pregnancy follow-up (D's row) and by A. D is a member of G, linked
    by an agreement to the GMF-R R whose member F sees p1 at G; R's coverage is computed
    from the registrations of G's members: D's two patients and C's two (threshold 4 in
    the test: not small, where D's patients alone would make it small)."""
    case = Case()
    case.site("S1", "G")
    case.site("SR", "R", kind="gmf_r")
    case.member("D", "G")
    case.member("C", "G")
    case.member("F", "R")
    case.agreement("G", "R")
    case.register("p1", "D")
    case.register("p2", "A", end=f"{YEAR}-06-01")
    case.register("p2", "D", start=f"{YEAR}-06-01")
    case.register("p3", "A")
    case.patients("C", 2)
    case.visit("p1", "D", site="S1")  # own_visit
    case.visit("p1", "F", site="S1")  # F of R at G: other_provider (R is not small)
    case.visit("p2", "D", site="S1", on=f"{YEAR}-03-01")  # A's row
    case.visit("p2", "C", site="S1", on=f"{YEAR}-07-01")  # group_member
    case.visit("p3", "D", site="S1", setting="cabinet", pregnancy=True)  # D: pregnancy_own
    case.visit("p3", "A", site="S1", setting="cabinet")  # A's row only
    case.visit("p1", "D", site="S1", on=f"{YEAR + 1}-01-01")  # another year
    return case


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_it_explains_from_the_files_as_the_whole_tables_do(tmp_path, fmt):
    """explain_folder reads only the rows that can touch the physician (their patients,
    the patients of their pregnancy follow-ups, the registrations the GMF-R rule counts)
    and gives explain_physician's rows and reason_summary's on the whole tables: for the
    golden worlds (every exclusion, a non-member, pregnancy follow-ups of their own and
    another's patients), a patient who changed physicians, a follow-up of another's
    patient, a GMF-R whose size comes from other physicians' patients, and nobody."""
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text("gmf_r_threshold = 4\n")
    rules = load_rules(rules_file)
    data = combine([*(factory() for factory in GOLDEN), _changes_and_follow_ups()])
    folder = _write_folder(tmp_path / "data", data, fmt)
    con = connect()
    tables = AssiduityTables.from_mapping(data)
    physicians = ("c0.D", "c0.C", "c1.D", "c1.B", "c2.T", "c3.D", "c3.A", "c3.C", "nobody")
    if fmt == "csv":  # the same reading of other cells: fewer physicians
        physicians = ("c1.B", "c3.D")
    for physician in physicians:
        visits, summary = explain_folder(DataFolder(folder, connect()), YEAR, physician, rules)
        expected = con.to_pyarrow(explain_physician(tables, YEAR, physician, rules))
        assert visits.equals(expected), physician
        assert summary.equals(con.to_pyarrow(reason_summary(tables, YEAR, physician, rules)))
    visits, _ = explain_folder(DataFolder(folder, connect()), YEAR, "c3.D", rules)
    assert dict(zip(visits["visit_id"].to_pylist(), visits["reason"].to_pylist(), strict=True)) == {
        "c3.v1": "own_visit",
        "c3.v2": "other_provider",  # R covers 4 patients: not small
        "c3.v4": "group_member",
        "c3.v5": "pregnancy_own",
    }


def test_it_takes_a_gmf_r_small_when_its_members_patients_say_so(tmp_path):
    # The same world with a threshold of 5: R's 4 covered patients make it small.
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text("gmf_r_threshold = 5\n")
    folder = _write_folder(tmp_path / "data", _changes_and_follow_ups().arrow(), "parquet")
    visits, _ = explain_folder(DataFolder(folder, connect()), YEAR, "D", load_rules(rules_file))
    assert (
        dict(zip(visits["visit_id"].to_pylist(), visits["reason"].to_pylist(), strict=True))["v2"]
        == "gmf_r_small_agreements"
    )


_VISIT = "{visit},{patient},{provider},physician,{on},S1,{setting},00010,,false,false,false,false,{pregnancy}\n"


def _append(folder: Path, name: str, line: str) -> None:
    with (folder / f"{name}.csv").open("a") as handle:
        handle.write(line)


def _bad_visit(patient: str, *, on: str = f"{YEAR}-04-01", setting: str = "gmf") -> str:
    return _VISIT.format(
        visit=f"bad-{patient}",
        patient=patient,
        provider="D",
        on=on,
        setting=setting,
        pregnancy="true",
    )


def test_it_explains_past_a_wrong_row_it_does_not_read(tmp_path):
    """Wrong rows about other physicians' patients (a setting outside the contract, a
    date that is not one, two registrations at once) stop compute, not D's explanation."""
    data = _changes_and_follow_ups().arrow()
    clean = _write_folder(tmp_path / "clean", data, "csv")
    spoiled = _write_folder(tmp_path / "spoiled", data, "csv")
    _append(spoiled, "visits", _bad_visit("p8", setting="hospital").replace(",D,", ",Z,"))
    _append(spoiled, "registrations", "p9,E,S1,2018-02-30,\n")
    _append(spoiled, "registrations", "p8,E,S1,2017-01-01,\np8,K,S1,2017-01-01,\n")
    expected = explain_folder(DataFolder(clean, connect()), YEAR, "D", RULES)
    assert explain_folder(DataFolder(spoiled, connect()), YEAR, "D", RULES) == expected
    with pytest.raises(AssiduityInputError):
        open_tables(spoiled)  # what compute reads: refused


@pytest.mark.parametrize(
    ("name", "line", "where"),
    [
        ("visits", _bad_visit("p2", setting="hospital"), ("visits.csv", 8, "setting")),
        # A pregnancy follow-up by D of a patient registered with nobody: its date is
        # read (is it of the year?) and is not a date.
        ("visits", _bad_visit("p9", on="2018-02-30"), ("visits.csv", 8, "visit_date")),
        # p3 (A's patient, seen by D for a follow-up) registered with K at the same time.
        ("registrations", "p3,K,S1,2018-01-01,\n", ("registrations.csv", 7, "start_date")),
    ],
)
def test_it_names_a_wrong_row_it_reads(tmp_path, name, line, where):
    """A wrong row among those read is refused as compute refuses it, by file, row and
    column: a visit of D's patient, a follow-up by D, a registration of the patient of
    D's follow-up."""
    folder = _write_folder(tmp_path / "data", _changes_and_follow_ups().arrow(), "csv")
    _append(folder, name, line)
    with pytest.raises(AssiduityInputError) as raised:
        explain_folder(DataFolder(folder, connect()), YEAR, "D", RULES)
    assert (raised.value.file, raised.value.row, raised.value.column) == where
    with pytest.raises(AssiduityInputError) as whole:
        open_tables(folder)
    assert (whole.value.file, whole.value.row, whole.value.column) == where


@pytest.mark.slow  # the synthetic tiny region, each physician in turn
def test_it_explains_every_physician_of_the_tiny_region_as_the_whole_tables_do(tmp_path):
    from panelcare import synth

    folder = tmp_path / "tiny"
    synth.write_dataset(folder, scale="tiny", fmt="parquet")
    con = connect()
    tables = open_tables(folder, con)
    registered = tables.registrations.physician_id
    followed = tables.visits.filter(tables.visits.pregnancy_followup).provider_id
    physicians = sorted(
        {*con.to_pyarrow(registered).to_pylist()} | {*con.to_pyarrow(followed).to_pylist()}
    )
    assert len(physicians) >= 10
    for physician in physicians:
        visits, summary = explain_folder(DataFolder(folder, connect()), 2025, physician, RULES)
        expected = con.to_pyarrow(explain_physician(tables, 2025, physician, RULES))
        assert visits.equals(expected), physician
        assert summary.equals(con.to_pyarrow(reason_summary(tables, 2025, physician, RULES)))
