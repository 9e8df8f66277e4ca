"""A minimal hand-written territory for the tests that need a few rows, not a region."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from web.regions.models import Patient, Physician, Region, Rls, Site


@dataclass
class Territory:
    region: Region
    rls: Rls
    site: Site
    physician: Physician
    other_physician: Physician
    patient: Patient


def make_territory() -> Territory:
    """One region, one RLS, one site, two physicians and one patient."""
    region = Region.objects.create(code="01", name="Bas-Saint-Laurent")
    rls = Rls.objects.create(
        code="0111", region=region, name="Rimouski-Neigette", latitude=48.4, longitude=-68.5
    )
    site = Site.objects.create(
        code="S1", name="Clinique du Havre", rls=rls, kind="cabinet", latitude=48.4, longitude=-68.5
    )
    physicians = [
        Physician.objects.create(
            code=f"M{i}",
            licence_number=f"1000{i}",
            name=f"Dre {name}",
            birth_year=1975,
            practice_start=datetime.date(2005, 7, 1),
            attribution_mode="bloc",
            rls=rls,
            site=site,
        )
        for i, name in enumerate(["Gagnon", "Roy"])
    ]
    patient = Patient.objects.create(
        code="P1",
        health_insurance_number="TREM 8001 1234",
        first_name="Marie",
        last_name="Tremblay",
        birth_year=1980,
        sex="F",
        latitude=48.45,
        longitude=-68.52,
        rls=rls,
    )
    return Territory(region, rls, site, physicians[0], physicians[1], patient)
