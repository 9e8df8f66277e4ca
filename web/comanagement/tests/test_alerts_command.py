"""``manage.py comanagement_alerts``: text and CSV output, --send (the locmem outbox),
once per alert, a user without address reported, a bad --on or --region."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from web.audit.models import AuditEvent
from web.comanagement.models import AlertEmail, ComanagementAction

# The world's checklist (due 4 February 2026) is late from the 5th: 8 GMF items, 6 CIUSSS.
ON = "2026-02-05"


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("comanagement_alerts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prints_one_french_line_per_alert(world) -> None:
    out, _err = run("--on", ON)
    lines = out.strip().splitlines()
    assert len(lines) == 14
    assert all("GMF du Fleuve (G1)" in line for line in lines)
    # French by default (the settings' language): no code words on the lines.
    assert not any("integration_item_overdue" in line for line in lines)


def test_it_says_when_there_is_no_alert(world) -> None:
    out, _err = run("--on", "2026-02-04")
    assert out.strip().splitlines() == [out.strip()]
    assert "2026" in out


def test_it_writes_csv_with_codes(world) -> None:
    out, _err = run("--on", ON, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [
        "kind",
        "gmf",
        "gmf_name",
        "owner",
        "subject",
        "subject_label",
        "due",
        "days_late",
    ]
    assert len(rows) == 14
    assert {row["kind"] for row in rows} == {"integration_item_overdue"}
    assert {row["owner"] for row in rows} == {"gmf", "ciusss"}
    assert {(row["due"], row["days_late"]) for row in rows} == {("2026-02-04", "1")}
    assert all(row["subject"].startswith("integrationitem:") for row in rows)


def test_it_keeps_to_the_region_asked(world) -> None:
    out, _err = run("--on", ON, "--format", "csv", "--region", "02")
    assert out.strip().splitlines() == [
        "kind,gmf,gmf_name,owner,subject,subject_label,due,days_late"
    ]


def test_it_sends_each_alert_once_to_its_owners(world) -> None:
    out, _err = run("--on", ON, "--send")
    assert len(mail.outbox) == 14
    to_gmf = [m for m in mail.outbox if m.to == ["gmf@example.org"]]
    to_ciusss = [m for m in mail.outbox if m.to == ["ciusss@example.org"]]
    assert (len(to_gmf), len(to_ciusss)) == (8, 6)
    assert "http://" in to_gmf[0].body and "/comanagement/placements/" in to_gmf[0].body
    assert AlertEmail.objects.count() == 14
    assert AuditEvent.objects.filter(action=ComanagementAction.ALERT_EMAILED).count() == 14
    assert "14" in out.strip().splitlines()[-1]

    mail.outbox.clear()
    out, _err = run("--on", ON, "--send")
    assert mail.outbox == []
    assert AlertEmail.objects.count() == 14


def test_it_writes_the_e_mail_as_text_not_html(world) -> None:
    world.gmf.name = "GMF de l'Anse"
    world.gmf.save(update_fields=["name"])
    run("--on", ON, "--send")
    message = mail.outbox[0]
    assert "GMF de l'Anse" in message.subject
    assert "GMF de l'Anse" in message.body
    assert "&#x27;" not in message.subject + message.body


def test_it_reports_an_owner_without_address_and_sends_the_others(world) -> None:
    world.users["gmf"].email = ""
    world.users["gmf"].save(update_fields=["email"])
    out, _err = run("--on", ON, "--send")
    assert len(mail.outbox) == 6
    assert "gmf" in out.strip().splitlines()[-1]
    assert AlertEmail.objects.filter(owner="gmf").count() == 0
    # Once an address is given, the next run sends what was not sent.
    world.users["gmf"].email = "gmf@example.org"
    world.users["gmf"].save(update_fields=["email"])
    mail.outbox.clear()
    run("--on", ON, "--send")
    assert len(mail.outbox) == 8


@pytest.mark.parametrize("args", [["--on", "2026-02-30"], ["--on", "demain"], ["--region", "99"]])
def test_it_exits_2_on_a_bad_day_or_region(world, args: list[str]) -> None:
    with pytest.raises(CommandError) as error:
        run(*args)
    assert error.value.returncode == 2
    assert str(error.value)
