"""``manage.py load_demo``: load the synthetic demo region, compute its assiduity rates
(last complete year and current year to date; ``--no-assiduity`` skips them) and print
the demo logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from web.regions.demo import DEFAULT_SEED, SCALES, LoadReport, load_demo


class Command(BaseCommand):
    help = (
        "Load the synthetic demo region (idempotent), compute its assiduity rates and print "
        "the demo logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=SCALES, default="region")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--no-assiduity",
            action="store_false",
            dest="assiduity",
            help="Do not compute the assiduity rates (last complete year, this year to date).",
        )

    def handle(self, *args, scale: str, seed: int, assiduity: bool, **options) -> None:
        report = load_demo(scale, seed, assiduity=assiduity)
        if report.already_loaded:
            self.stdout.write(f"The demo region {report.region_code} is already loaded.")
        else:
            rows = ", ".join(f"{name} {count}" for name, count in report.counts.items())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded the {scale} demo (seed {seed}) in {report.seconds:.1f} s: {rows}."
                )
            )
        for year in report.assiduity:
            line = f"Assiduity {year.year}: computation {year.run_id or '-'} {year.status}"
            if year.physicians:
                line += f", {year.physicians} physicians"
            if year.reason:
                line += f" ({year.reason})"
            self.stdout.write(self.style.SUCCESS(line) if year.status == "done" else line)
        self.stdout.write(format_logins(report))


def format_logins(report: LoadReport) -> str:
    """The demo logins as a plain-text table."""
    header = ("username", "role", "territory", "password")
    rows = [header] + [
        (login.username, login.role, login.territory, login.password) for login in report.logins
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
