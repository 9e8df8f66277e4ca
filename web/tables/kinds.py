"""The kinds of table a region imports, declared once each.

A kind is its contract (columns, keys and checks, from the Django-free core:
:data:`panelcare.contracts.CONTRACTS`), its labels, how a row belongs to an RLS
(its ``scope_column``, or for registrations the physician's RLS in the roster in force)
and, when some page needs SQL on its rows (counts per RLS, access scopes, pagination), the
function that rebuilds their database projection from a version. Everything else (upload,
checks, preview, apply, cancel, export, the command, the demo loader) works on any kind
declared here. Adding a kind is one :func:`register` call here and its tests::

    VISITS = register(TableKind("visits", pgettext_lazy("table", "Visits"), Contract(...), scope_column=None))

See ``docs/tables.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from panelcare.attribution.tables import Contract
from panelcare.contracts import CONTRACTS

if TYPE_CHECKING:
    import pyarrow as pa

    from web.regions.models import Region

__all__ = [
    "GMF_MEMBERSHIPS",
    "GMF_R_COVERAGE",
    "GMF_SITES",
    "GMF_STATISTICS",
    "IPS_PARTNERSHIPS",
    "PHYSICIANS",
    "PRACTICE_GROUPS",
    "REGISTRATIONS",
    "SERVICE_AGREEMENTS",
    "VISITS",
    "WAITLIST",
    "DatasetKind",
    "Projection",
    "TableKind",
    "all_kinds",
    "choices",
    "get_kind",
    "register",
    "unregister",
]

# Rebuilds a kind's database rows from the rows of its new version (canonical), inside
# the import's transaction; returns counts for the import's report ({"rows": ...}).
Projection = Callable[["Region", "pa.Table"], dict[str, int]]


@dataclass(frozen=True)
class TableKind:
    """One kind of imported table.

    Attributes:
        name: the id (``waitlist``): the files' folder, the URLs' and the command's name.
        label: what users call it (« Liste d'attente du GAMF »).
        contract: the columns, keys and checks (:class:`panelcare.attribution.tables.
            Contract`, from :data:`panelcare.contracts.CONTRACTS`).
        scope_column: the column placing a row in an RLS (``rls_id``); a CML imports the
            rows of their RLS. None: the table is the region's (only the DRMG imports it).
        scope_through: the kind whose current version places this one's rows: the rows of
            an RLS are those whose ``scope_column`` is a key of that kind's rows of the RLS
            (registrations: by the physicians of the RLS in the roster in force).
        project: rebuilds the database projection of the kind from a version (None: no
            page needs SQL on it; the version is read as a table).
        appendable: an import may also *add* its rows to the version in force instead of
            replacing it: a row of the file replaces the row of the same key, the others
            are kept (the visits: a month's extract adds to the year). Only for a
            region's kind without projection (``docs/tables.md``, "Adding rows").
        imported_on: the pages its files are imported on: ``"tables"`` (``/tables/``,
            every kind until the co-management) or ``"comanagement"`` (the
            co-management's statistics pages, which check the importer's GMFs; ``/tables/``
            leaves such a kind out).
    """

    name: str
    label: Promise | str
    contract: Contract
    scope_column: str | None = "rls_id"
    scope_through: str | None = None
    project: Projection | None = None
    appendable: bool = False
    imported_on: str = "tables"

    @property
    def keys(self) -> tuple[str, ...]:
        return self.contract.keys

    @property
    def schema(self) -> Any:
        return self.contract.schema


_KINDS: dict[str, TableKind] = {}


def register(kind: TableKind) -> TableKind:
    """Declare ``kind`` (replacing a kind of the same name) and return it."""
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Forget the kind ``name`` (for a test that declared one)."""
    _KINDS.pop(name, None)


def get_kind(name: str) -> TableKind:
    """The kind ``name``.

    Raises:
        KeyError: no kind of that name is declared.
    """
    return _KINDS[name]


def all_kinds() -> list[TableKind]:
    """Every declared kind, in declaration order (the order a region's first versions are
    written in: a kind comes after the one its scope goes through)."""
    return list(_KINDS.values())


def choices() -> list[tuple[str, str]]:
    """(name, label) of every kind, for a form's choices."""
    return [(kind.name, str(kind.label)) for kind in _KINDS.values()]


def _project(name: str) -> Projection:
    # The projections write web.regions' models: imported when an import applies, so that
    # this module can be imported before the apps are ready.
    def project(region: Region, table: pa.Table) -> dict[str, int]:
        from web.tables import projections

        result: dict[str, int] = getattr(projections, f"project_{name}")(region, table)
        return result

    project.__name__ = f"project_{name}"
    return project


PHYSICIANS = register(
    TableKind(
        "physicians",
        _("Physicians' roster"),
        CONTRACTS["physicians"],
        project=_project("physicians"),
    )
)
WAITLIST = register(
    TableKind(
        "waitlist",
        _("Waiting list (GAMF)"),
        CONTRACTS["waitlist"],
        project=_project("waitlist"),
    )
)
REGISTRATIONS = register(
    TableKind(
        "registrations",
        _("Registrations"),
        CONTRACTS["registrations"],
        scope_column="physician_id",
        scope_through="physicians",
        project=_project("registrations"),
    )
)


# The assiduity's other input tables (spec/assiduity.md, "Data contract"). Each is the
# region's: only the DRMG imports it, for the whole region (docs/decisions.md, "One copy of
# each fact": none has an RLS of its own, and their links cross RLS).
def _region_kind(
    name: str,
    label: Promise | str,
    *,
    projected: bool = True,
    appendable: bool = False,
    imported_on: str = "tables",
) -> TableKind:
    """Declare the region's table ``name`` (no RLS column: only the DRMG imports it, unless
    it is imported elsewhere: ``imported_on``), with its projection
    ``projections.project_<name>`` unless ``projected`` is False."""
    project = _project(name) if projected else None
    return register(
        TableKind(
            name,
            label,
            CONTRACTS[name],
            scope_column=None,
            project=project,
            appendable=appendable,
            imported_on=imported_on,
        )
    )


# Visits have no projection: no page needs SQL on them, pages read the version. A month's
# extract adds to the version in force (docs/decisions.md, "Monthly visits are added, by
# visit_id").
VISITS = _region_kind("visits", pgettext_lazy("table", "Visits"), projected=False, appendable=True)
GMF_SITES = _region_kind("gmf_sites", pgettext_lazy("table", "GMF sites"))
GMF_MEMBERSHIPS = _region_kind("gmf_memberships", pgettext_lazy("table", "GMF memberships"))
PRACTICE_GROUPS = _region_kind("practice_groups", pgettext_lazy("table", "Practice groups"))
IPS_PARTNERSHIPS = _region_kind("ips_partnerships", pgettext_lazy("table", "IPS-SPL partnerships"))
SERVICE_AGREEMENTS = _region_kind(
    "service_agreements", pgettext_lazy("table", "Service agreements between GMFs")
)
# The yearly number of patients a GMF-R's agreements cover, when the CISSS/CIUSSS gives it
# (it then replaces the engine's count: spec/assiduity.md, "gmf_r_small_agreements"). No
# page needs SQL on it: the engine reads the version.
GMF_R_COVERAGE = _region_kind(
    "gmf_r_coverage", pgettext_lazy("table", "GMF-R coverage"), projected=False
)

# The co-management's monthly statistics of the professionals placed in GMFs
# (docs/comanagement-plan.md, §4): no RLS column and no projection (pages read the
# version); a month's file adds to the year in force, keyed by professional, GMF and
# month. Imported on the co-management's pages, which restrict the rows to the
# importer's GMFs, not on /tables/.
GMF_STATISTICS = _region_kind(
    "gmf_statistics",
    pgettext_lazy("table", "Statistics of the professionals in GMFs"),
    projected=False,
    appendable=True,
    imported_on="comanagement",
)


class DatasetKind:
    """The names of the kinds above, for the code that names one
    (``DatasetKind.WAITLIST == "waitlist"``)."""

    PHYSICIANS = PHYSICIANS.name
    WAITLIST = WAITLIST.name
    REGISTRATIONS = REGISTRATIONS.name
    VISITS = VISITS.name
    GMF_SITES = GMF_SITES.name
    GMF_MEMBERSHIPS = GMF_MEMBERSHIPS.name
    PRACTICE_GROUPS = PRACTICE_GROUPS.name
    IPS_PARTNERSHIPS = IPS_PARTNERSHIPS.name
    SERVICE_AGREEMENTS = SERVICE_AGREEMENTS.name
    GMF_R_COVERAGE = GMF_R_COVERAGE.name
    GMF_STATISTICS = GMF_STATISTICS.name
