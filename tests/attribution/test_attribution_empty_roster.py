"""The engine on an empty roster: a clean result, never an IndexError deep inside."""

from __future__ import annotations

import datetime

from panelcare.attribution import solve
from panelcare.attribution.groups import select_orphans
from panelcare.attribution.io import read_inputs
from panelcare.attribution.params import load_params

PHYSICIANS_HEADER = (
    "physician_id,name,rls_id,site_id,latitude,longitude,registered,vulnerable,"
    "practice_start,birth_year,amp_target,other_units,mode,previous_assiduity,departing_on\n"
)
WAITLIST = """\
patient_id,rls_id,latitude,longitude,priority,vulnerable,requested_on,category,previous_physician_id
P001,0111,48.45,-68.52,A,false,2026-01-10,,D001
P002,0111,48.46,-68.53,B,true,2026-02-10,,
"""
RUN_DATE = datetime.date(2026, 11, 15)


def test_it_selects_the_orphans_of_a_waiting_list_against_an_empty_roster(tmp_path):
    (tmp_path / "physicians.csv").write_text(PHYSICIANS_HEADER)
    (tmp_path / "waitlist.csv").write_text(WAITLIST)
    physicians, waitlist = read_inputs(tmp_path)
    selection = select_orphans(waitlist, physicians, load_params(None), RUN_DATE)
    # P001 names a physician nobody has: left out, as with a roster that lacks them.
    assert selection.orphan.tolist() == [False, True]
    assert selection.reason.tolist() == ["previous_physician_unknown", ""]


def test_it_plans_every_orphan_unassigned_without_a_physician(tmp_path):
    (tmp_path / "physicians.csv").write_text(PHYSICIANS_HEADER)
    (tmp_path / "waitlist.csv").write_text(WAITLIST)
    physicians, waitlist = read_inputs(tmp_path)
    result = solve.plan(physicians, waitlist, load_params(None), RUN_DATE, workers=1)
    assert result.orphans.patient_id.tolist() == ["P002"]
    assert result.physician_of.tolist() == [-1]
