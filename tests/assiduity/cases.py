"""Hand-written assiduity datasets: a builder for tiny tables, and the golden scenarios.

A test writes only the rows its rule needs, each there for a reason::

    case = Case()
    case.register("p1", "D")
    visit = case.visit("p1", "D", site="S1", setting="gmf")
    assert case.reasons("D") == {visit: "own_visit"}

Everything not given takes a harmless default: an ordinary billing code, a clinic setting,
1 March of :data:`YEAR`, registrations and memberships in force since 2017. Results come
back as plain Python rows, computed on DuckDB by a :class:`Runner`.

The golden scenarios at the bottom (``golden_*``) are also run on PySpark by
``test_spark.py``, combined into one dataset by :func:`combine`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

import ibis
import pyarrow as pa

from panelcare.assiduity import (
    AssiduityTables,
    Rules,
    explain_physician,
    load_rules,
    physician_rates,
    reason_summary,
    visit_outcomes,
)
from panelcare.assiduity.tables import SCHEMAS, schema

YEAR = 2018
SINCE = "2017-01-01"
ON = f"{YEAR}-03-01"
ORDINARY_CODE = "00010"

RULES = load_rules()
_ID_COLUMNS = {
    "visit_id",
    "patient_id",
    "provider_id",
    "physician_id",
    "site_id",
    "gmf_id",
    "partner_gmf_id",
    "group_id",
    "ips_id",
}


def day(value: str | datetime.date | None) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


# The SQL of each (function, year, rules, physician), shared by every runner: it names the
# contract's tables, whatever connection registers them.
_COMPILED: dict[tuple[Any, ...], tuple[str, pa.Schema, Rules]] = {}


class Runner:
    """Runs the engine on DuckDB, fast enough for hundreds of tiny datasets.

    The dataset is registered under the contract's table names, and the engine's
    expression for each (function, year, rules, physician) is built and compiled once: the
    SQL only depends on the tables' names and schemas, not on their rows. Building and
    compiling an expression takes about 0.5 s, running it on a tiny dataset about 0.1 s.
    """

    def __init__(self) -> None:
        self.con = ibis.duckdb.connect()
        self.load(
            {name: pa.Table.from_pylist([], schema=schema(name).to_pyarrow()) for name in SCHEMAS}
        )
        # Unbound tables: the SQL names them, the registered Arrow tables answer.
        self.tables = AssiduityTables.from_mapping(
            {name: ibis.table(schema(name), name=name) for name in SCHEMAS}
        )

    def load(self, data: dict[str, pa.Table]) -> None:
        for name in SCHEMAS:
            self.con.con.register(name, data[name])

    def run(
        self,
        function: Callable[..., Any],
        year: int = YEAR,
        rules: Rules = RULES,
        physician: str | None = None,
    ) -> list[dict[str, Any]]:
        """Rows of ``function(tables, year, [physician,] rules)`` on the loaded dataset."""
        key = (function.__name__, year, id(rules), physician)
        if key not in _COMPILED:
            args = (year, rules) if physician is None else (year, physician, rules)
            expr = function(self.tables, *args)
            # Keep the rules alive with the SQL, so that their id is never reused.
            _COMPILED[key] = (str(self.con.compile(expr)), expr.schema().to_pyarrow(), rules)
        sql, arrow_schema, _ = _COMPILED[key]
        cursor = self.con.con.execute(sql)
        rows = cursor.fetchall()
        columns = {
            d[0]: pa.array([row[i] for row in rows]) for i, d in enumerate(cursor.description)
        }
        # Cast to the expression's types, as Ibis does when it executes (DuckDB sums are
        # HUGEINT, float literals DECIMAL).
        return pa.table(columns).cast(arrow_schema).to_pylist()


_runner: Runner | None = None


def runner() -> Runner:
    """The hand-written tests' runner (one DuckDB connection per test process)."""
    global _runner
    if _runner is None:
        _runner = Runner()
    return _runner


class Case:
    """A tiny assiduity dataset, built a row at a time."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SCHEMAS}

    # --- rows ------------------------------------------------------------------------------

    def visit(
        self,
        patient: str,
        provider: str,
        *,
        kind: str = "physician",
        on: str = ON,
        site: str | None = "S1",
        setting: str = "gmf",
        code: str | None = ORDINARY_CODE,
        triage: str | None = None,
        admitted: bool = False,
        repeat: bool = False,
        referred: bool = False,
        death: bool = False,
        pregnancy: bool = False,
        visit_id: str | None = None,
    ) -> str:
        """Add a visit; returns its id (``v1``, ``v2``, ... unless given)."""
        visit_id = visit_id or f"v{len(self.rows['visits']) + 1}"
        self.rows["visits"].append(
            {
                "visit_id": visit_id,
                "patient_id": patient,
                "provider_id": provider,
                "provider_kind": kind,
                "visit_date": day(on),
                "site_id": site,
                "setting": setting,
                "billing_code": code,
                "er_triage": triage,
                "er_admitted": admitted,
                "er_repeat": repeat,
                "er_referred": referred,
                "er_death": death,
                "pregnancy_followup": pregnancy,
            }
        )
        return visit_id

    def register(
        self,
        patient: str,
        physician: str,
        *,
        site: str = "S1",
        start: str = SINCE,
        end: str | None = None,
    ) -> None:
        self.rows["registrations"].append(
            {
                "patient_id": patient,
                "physician_id": physician,
                "site_id": site,
                "start_date": day(start),
                "end_date": day(end),
            }
        )

    def site(self, site: str, gmf: str, kind: str = "gmf") -> None:
        self.rows["gmf_sites"].append({"site_id": site, "gmf_id": gmf, "kind": kind})

    def member(self, physician: str, gmf: str, *, start: str = SINCE, end: str | None = None):
        self.rows["gmf_memberships"].append(
            {
                "physician_id": physician,
                "gmf_id": gmf,
                "start_date": day(start),
                "end_date": day(end),
            }
        )

    def group(self, physician: str, group: str, *, start: str = SINCE, end: str | None = None):
        self.rows["practice_groups"].append(
            {
                "physician_id": physician,
                "group_id": group,
                "start_date": day(start),
                "end_date": day(end),
            }
        )

    def partner(self, ips: str, physician: str, *, start: str = SINCE, end: str | None = None):
        self.rows["ips_partnerships"].append(
            {
                "ips_id": ips,
                "physician_id": physician,
                "start_date": day(start),
                "end_date": day(end),
            }
        )

    def agreement(self, gmf: str, partner: str, *, start: str = SINCE, end: str | None = None):
        self.rows["service_agreements"].append(
            {
                "gmf_id": gmf,
                "partner_gmf_id": partner,
                "start_date": day(start),
                "end_date": day(end),
            }
        )

    def drmg(self, physician: str, year: int = YEAR) -> None:
        self.rows["drmg_notices"].append({"physician_id": physician, "year": year})

    def coverage(self, gmf: str, covered: int, year: int = YEAR) -> None:
        self.rows["gmf_r_coverage"].append(
            {"gmf_id": gmf, "year": year, "covered_patients": covered}
        )

    def patients(
        self, physician: str, count: int, *, site: str = "S1", prefix: str = ""
    ) -> list[str]:
        """Register ``count`` new patients with ``physician``; returns their ids."""
        ids = [f"{prefix or physician}-p{i}" for i in range(count)]
        for patient in ids:
            self.register(patient, physician, site=site)
        return ids

    # --- results ---------------------------------------------------------------------------

    def arrow(self) -> dict[str, pa.Table]:
        return {
            name: pa.Table.from_pylist(rows, schema=schema(name).to_pyarrow())
            for name, rows in self.rows.items()
        }

    def tables(self) -> AssiduityTables:
        """The dataset as in-memory Ibis tables (for the functions that execute themselves)."""
        return AssiduityTables.from_mapping(self.arrow())

    def run(self, function: Callable[..., Any], **options: Any) -> list[dict[str, Any]]:
        run = runner()
        run.load(self.arrow())
        return run.run(function, **options)

    def rates(self, year: int = YEAR, rules: Rules = RULES) -> dict[str, dict[str, Any]]:
        """physician_rates as {physician_id: row}."""
        return {row["physician_id"]: row for row in self.rate_rows(year, rules)}

    def rate_rows(self, year: int = YEAR, rules: Rules = RULES) -> list[dict[str, Any]]:
        """physician_rates rows, in the order the engine gives them."""
        return self.run(physician_rates, year=year, rules=rules)

    def rate(self, physician: str, year: int = YEAR, rules: Rules = RULES) -> dict[str, Any]:
        """``physician``'s row of physician_rates."""
        return self.rates(year, rules)[physician]

    def outcomes(self, year: int = YEAR, rules: Rules = RULES) -> list[dict[str, Any]]:
        """visit_outcomes rows, sorted by visit and physician."""
        rows = self.run(visit_outcomes, year=year, rules=rules)
        return sorted(rows, key=lambda row: (row["visit_id"], row["physician_id"] or ""))

    def reasons(self, physician: str | None, year: int = YEAR) -> dict[str, str]:
        """{visit_id: reason} of the rows about ``physician`` (None: the unregistered)."""
        return {
            row["visit_id"]: row["reason"]
            for row in self.outcomes(year)
            if row["physician_id"] == physician
        }

    def explain(self, physician: str, year: int = YEAR) -> list[dict[str, Any]]:
        return self.run(explain_physician, year=year, physician=physician)

    def summary(self, physician: str, year: int = YEAR) -> list[dict[str, Any]]:
        return self.run(reason_summary, year=year, physician=physician)


def combine(cases: Iterable[Case]) -> dict[str, pa.Table]:
    """One dataset holding every case, each case's ids prefixed (``c0.``, ``c1.``, ...)."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SCHEMAS}
    for number, case in enumerate(cases):
        for name, table_rows in case.rows.items():
            for row in table_rows:
                rows[name].append(
                    {
                        key: f"c{number}.{value}"
                        if key in _ID_COLUMNS and value is not None
                        else value
                        for key, value in row.items()
                    }
                )
    return {
        name: pa.Table.from_pylist(r, schema=schema(name).to_pyarrow()) for name, r in rows.items()
    }


# --- golden scenarios ----------------------------------------------------------------------
# Small worlds that exercise many rules at once; each test file also checks its own rule on
# rows of its own. test_spark.py runs all of them on PySpark.


def golden_gmf() -> Case:
    """GMF G (sites S1, S2) with members D and C, IPS N partnered with C; a partner GMF H
    (service agreement), a small GMF-R R (agreement, coverage 17,999); D's patients are
    seen at G, elsewhere, at the ER (one visit per ER exclusion), by H's and R's
    physicians."""
    case = Case()
    case.site("S1", "G")
    case.site("S2", "G")
    case.site("SH", "H")
    case.site("SR", "R", kind="gmf_r")
    case.member("D", "G")
    case.member("C", "G")
    case.member("E", "H")
    case.member("F", "R")
    case.partner("N", "C")
    case.agreement("G", "H")
    case.agreement("R", "G")
    case.coverage("R", 17_999)
    case.register("p1", "D")
    case.register("p2", "D")
    case.register("p3", "D", end=f"{YEAR}-06-01")
    case.register("p4", "C")
    case.drmg("D")
    case.visit("p1", "D", site="S1")  # own_visit
    case.visit("p1", "D", site="X", setting="cabinet")  # own_visit_elsewhere
    case.visit("p2", "C", site="S2")  # group_member
    case.visit("p2", "C", site="X", setting="cabinet")  # other_provider
    case.visit("p2", "N", kind="ips", site="S1")  # ips_partner
    case.visit("p1", "E", site="SH")  # service_agreement
    case.visit("p1", "F", site="S1")  # gmf_r_small_agreements
    case.visit("p1", "Z", site="ER", setting="urgence_ch", triage="P4")  # other_provider
    case.visit("p1", "Z", site="ER", setting="urgence_ch", triage="P2")  # er_priority_1_3
    case.visit("p2", "Z", site="ER", setting="urgence_ch", triage="P4", admitted=True)
    case.visit("p2", "Z", site="ER", setting="urgence_clsc", triage="P5", repeat=True)
    case.visit("p2", "Z", site="ER", setting="urgence_ch", triage="P5", referred=True)
    case.visit("p2", "Z", site="ER", setting="urgence_clsc", triage="P4", death=True)
    case.visit("p3", "D", site="S1", on=f"{YEAR}-06-01")  # not_registered (half-open end)
    case.visit("p4", "D", site="S1", code="09900")  # excluded_billing_code, for C
    return case


def golden_non_member() -> Case:
    """Non-member D with practice group colleague K and partnered IPS N, registration site
    S1; B makes a pregnancy follow-up of D's patient."""
    case = Case()
    case.group("D", "grp")
    case.group("K", "grp")
    case.partner("N", "D")
    case.register("p1", "D", site="S1")
    case.register("p2", "D", site="S1")
    case.visit("p1", "D", site="S1", setting="cabinet")  # own_visit
    case.visit("p1", "D", site="S9", setting="cabinet")  # own_visit_elsewhere
    case.visit("p1", "K", site="S1", setting="cabinet")  # group_member
    case.visit("p1", "K", site="S9", setting="cabinet")  # other_provider
    case.visit("p2", "N", kind="ips", site="S1", setting="cabinet")  # ips_partner
    case.visit("p2", "B", site="S7", setting="cabinet", pregnancy=True)  # B: pregnancy_own
    case.visit("p2", "D", site="S7", setting="cabinet", pregnancy=True)  # D: pregnancy_own
    case.visit("p2", "Q", kind="other", site="S1", setting="cabinet")  # ineligible_provider
    case.visit("p2", "D", site="S1", setting="other")  # ineligible_setting
    case.visit("p9", "D", site="S1", setting="cabinet")  # not_registered
    return case


def golden_scale() -> Case:
    """Physicians at the band boundaries: T (3/4 = 0.75 exactly), U (no counted visit)."""
    case = Case()
    case.register("t1", "T", site="S1")
    for number in range(4):
        provider = "T" if number < 3 else "Other"
        case.visit("t1", provider, site="S1", setting="cabinet", on=f"{YEAR}-0{number + 1}-15")
    case.register("u1", "U")
    case.visit("u1", "U", setting="urgence_ch", triage="P1")
    return case


GOLDEN = (golden_gmf, golden_non_member, golden_scale)
