"""Backup and restore of the database and the data folder together (``manage.py backup``,
``manage.py restore``; docs/deployment.md, "Backup and restore").

A backup is one tar archive::

    database.sqlite3 | database.pgdump   the database (SQLite's online backup API, or
                                         pg_dump's custom format), a consistent snapshot
    data/<region>/tables/...             the table versions the snapshot's rows name
    data/<region>/runs/<run>/...         the runs' folders (plan, letters) of its runs
    data/<region>/assiduity/<run>/...    the results of its DONE assiduity computations
                                         (docs/decisions.md, "The assiduity's results
                                         are backed up")
    manifest.json                        format, database, migrations, rows per model,
                                         every file with its size and SHA-256

**Consistency.** The database is copied first; the files are then chosen from the
*snapshot's* rows, not the live database's: a table version written during the backup has
no row in the snapshot and is left out, as are staged uploads and the temporary folders
of a crash (orphans). A version's file is written before its row and never changes, so
every version of the snapshot has its file; its SHA-256 is checked against the row's
digest as it is copied. A run's ``plan/`` and ``letters/`` folders are replaced by a
rename: each is copied again if it was swapped during the copy. A DONE assiduity
computation's ``results/`` is renamed into place once, complete, and never changes (its
hidden staging folder is left out). A file the snapshot names
but the disk lacks (or whose digest differs) refuses the backup, unless
``allow_damaged``, which records it in the manifest.

**Restore** checks every member of the archive against the manifest (size, SHA-256, no
member outside it) before it writes anything, refuses a database or a data folder that
already holds data unless ``force``, writes the database then the files, migrates the
database if this code has newer migrations, and ends with :func:`check_restored`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.core.management import call_command
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from web.assiduity.models import AssiduityRun, AssiduityRunStatus
from web.attribution.models import Letter, Run
from web.ops.errors import ArchiveDamaged, OpsError
from web.tables.models import Dataset, data_dir

__all__ = [
    "BackupReport",
    "RestoreReport",
    "check_restored",
    "make_backup",
    "read_manifest",
    "restore_backup",
]

FORMAT = "panelcare-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = "data"
# Models whose rows `migrate` writes in a new database: they do not make it "not empty".
_SCHEMA_MODELS = {"contenttypes.contenttype", "auth.permission"}
_CHUNK = 1 << 20


@dataclass
class BackupReport:
    """What :func:`make_backup` wrote."""

    path: Path
    files: int
    size: int
    seconds: float
    damaged: list[str] = field(default_factory=list)
    left_out: int = 0


@dataclass
class RestoreReport:
    """What :func:`restore_backup` wrote, and the problems :func:`check_restored` found."""

    files: int
    rows: dict[str, int]
    seconds: float
    migrated: bool
    problems: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- backup


def make_backup(
    destination: Path, *, using: str = "default", allow_damaged: bool = False
) -> BackupReport:
    """Write a backup of the database ``using`` and of the data folder to ``destination``
    (a ``.tar`` file, or a folder where ``panelcare-backup-<date>-<time>.tar`` is made).

    The archive is written under a ``.partial`` name and renamed at the end: a failed
    backup leaves no archive.

    Raises:
        OpsError: the database cannot be copied (pg_dump missing, a transaction open),
            the destination exists, or a file the database names is missing or damaged
            (unless ``allow_damaged``).
    """
    started = time.monotonic()
    connection = connections[using]
    if connection.in_atomic_block:
        raise OpsError(_("A backup cannot be made inside a transaction."))
    target = _archive_path(destination)
    if target.exists():
        raise OpsError(_("%(path)s already exists.") % {"path": target})
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    # The database's copy is patient data: it waits beside the archive, not in /tmp.
    with tempfile.TemporaryDirectory(prefix=".backup.", dir=target.parent) as work:
        with _snapshot(connection, Path(work)) as database_file:
            state = _snapshot_state(connection.alias)
        try:
            partial.unlink(missing_ok=True)
            partial.touch(mode=0o600)  # patient data: readable by the server's user only
            with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
                database = _add_file(archive, database_file, database_file.name)
                database_file.unlink()
                files, damaged = _add_data_files(archive, state, Path(work))
                if damaged and not allow_damaged:
                    raise OpsError(
                        _(
                            "%(count)s files named by the database are missing or damaged; "
                            "nothing was kept (run again with --allow-damaged to back up "
                            "the rest): %(files)s"
                        )
                        % {"count": len(damaged), "files": "; ".join(damaged[:10])}
                    )
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_at": timezone.now().isoformat(timespec="seconds"),
                    "database": {"vendor": connection.vendor, **database},
                    "migrations": state["migrations"],
                    "rows": state["rows"],
                    "datasets": state["datasets"],
                    "files": files,
                    "damaged": damaged,
                    "left_out": _left_out(files),
                }
                body = json.dumps(manifest, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(body)
                info.mtime = int(time.time())
                archive.addfile(info, io.BytesIO(body))
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return BackupReport(
        path=target,
        files=len(files),
        size=target.stat().st_size,
        seconds=time.monotonic() - started,
        damaged=damaged,
        left_out=len(manifest["left_out"]),
    )


def _archive_path(destination: Path) -> Path:
    if destination.is_dir():
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        return destination / f"panelcare-backup-{stamp}.tar"
    if destination.suffix != ".tar":
        raise OpsError(_("The backup is a .tar file or a folder: %(path)s") % {"path": destination})
    return destination


@contextlib.contextmanager
def _snapshot(connection: BaseDatabaseWrapper, work: Path) -> Iterator[Path]:
    """Open a read snapshot of the database on ``connection`` and copy the database into
    ``work``: the ORM's queries on ``connection`` inside the block read the state the
    copy holds (to choose the files and count the rows)."""
    if connection.vendor == "sqlite":
        file = work / "database.sqlite3"
        connection.ensure_connection()
        raw = connection.connection
        # A read transaction (DEFERRED: the settings' IMMEDIATE would take the write lock
        # and the backup API would wait for it forever); the queries and the copy below
        # read the same snapshot. Writers wait for its end (journal mode), a second or so.
        raw.execute("BEGIN DEFERRED")
        try:
            raw.execute("SELECT count(*) FROM sqlite_master").fetchone()
            copy = sqlite3.connect(file)
            try:
                # The online backup API: a consistent copy while the server keeps
                # running (never a copy of the live file, which may be mid-transaction).
                raw.backup(copy)
            finally:
                copy.close()
            yield file
        finally:
            raw.execute("COMMIT")
    elif connection.vendor == "postgresql":
        pg_dump = _postgres_tool("pg_dump")
        file = work / "database.pgdump"
        # pg_dump reads the snapshot this transaction exports: the dump and the rows the
        # ORM reads below are the same state of the database.
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot_id,) = cursor.fetchone()
            _run_postgres_tool(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot_id}",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={file}",
                ],
                connection,
            )
            yield file
    else:
        raise OpsError(
            _("Backups are made of SQLite or PostgreSQL databases, not %(vendor)s.")
            % {"vendor": connection.vendor}
        )


def _postgres_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise OpsError(
            _(
                "%(tool)s is not installed: install PostgreSQL's client tools "
                "(apt-get install postgresql-client), of the server's version or newer."
            )
            % {"tool": name}
        )
    return found


def _run_postgres_tool(command: list[str], connection: BaseDatabaseWrapper) -> None:
    """Run pg_dump or pg_restore on ``connection``'s database (its password through the
    environment, never on the command line)."""
    db = connection.settings_dict
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    target = [f"--dbname={db['NAME']}"]
    if db.get("HOST"):
        target.append(f"--host={db['HOST']}")
    if db.get("PORT"):
        target.append(f"--port={db['PORT']}")
    if db.get("USER"):
        target.append(f"--username={db['USER']}")
    done = subprocess.run([*command, *target], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise OpsError(
            _("%(tool)s failed: %(error)s")
            % {"tool": Path(command[0]).name, "error": done.stderr.strip()[-2000:]}
        )


def _snapshot_state(using: str) -> dict[str, Any]:
    """What the snapshot holds: migrations, rows per model, table versions and runs."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    recorder = MigrationRecorder(connection)
    migrations: dict[str, list[str]] = {}
    if recorder.has_table():
        for app, name in sorted(recorder.applied_migrations()):
            migrations.setdefault(app, []).append(name)
    rows = {
        model._meta.label_lower: model._default_manager.using(using).count()
        for model in _stored_models()
        if model._meta.db_table in tables
    }
    root = data_dir()
    datasets = [
        {
            "path": _relative(dataset.path, root),
            "digest": dataset.digest,
            "rows": dataset.rows,
            "region": dataset.region.code,
            "kind": dataset.kind,
            "version": dataset.version,
        }
        for dataset in Dataset.objects.using(using).select_related("region").order_by("pk")
    ]
    runs = [
        _relative(run.folder, root)
        for run in Run.objects.using(using).select_related("region").order_by("pk")
    ]
    assiduity = [
        _relative(run.folder, root)
        for run in AssiduityRun.objects.using(using)
        .filter(status=AssiduityRunStatus.DONE)
        .select_related("region")
        .order_by("pk")
    ]
    letters = [
        _relative(letter.path, root)
        for letter in Letter.objects.using(using).select_related("run__region").order_by("pk")
    ]
    return {
        "migrations": migrations,
        "rows": rows,
        "datasets": datasets,
        "runs": runs,
        "letters": letters,
        "assiduity": assiduity,
    }


def _add_data_files(
    archive: tarfile.TarFile, state: dict[str, Any], work: Path
) -> tuple[list[dict[str, Any]], list[str]]:
    """Add the files the snapshot names; return their manifest entries and the missing or
    damaged ones."""
    root = data_dir()
    files: list[dict[str, Any]] = []
    damaged: list[str] = []
    for dataset in state["datasets"]:
        path = root / dataset["path"]
        if not path.is_file():
            damaged.append(_("%(file)s: missing") % {"file": dataset["path"]})
            continue
        entry = _add_file(archive, path, f"{DATA}/{dataset['path']}")
        if entry["sha256"] != dataset["digest"]:
            damaged.append(_("%(file)s: not the digest of its version") % {"file": dataset["path"]})
        files.append({**entry, "path": dataset["path"]})
    for folder in state["runs"]:
        files.extend(_add_run_folder(archive, root, folder, work))
    for folder in state["assiduity"]:
        results = _add_run_folder(archive, root, folder, work)
        if not any(entry["path"].startswith(f"{folder}/results/") for entry in results):
            damaged.append(_("%(file)s: missing") % {"file": f"{folder}/results"})
        files.extend(results)
    copied = {entry["path"] for entry in files}
    for letter in state["letters"]:
        if letter not in copied:
            damaged.append(_("%(file)s: missing") % {"file": letter})
    return files, damaged


def _add_run_folder(
    archive: tarfile.TarFile, root: Path, folder: str, work: Path
) -> list[dict[str, Any]]:
    """A run's folder without its hidden entries (a plan or letters being written, or
    left by a crash). ``plan/`` and ``letters/`` are swapped by a rename when the plan is
    adjusted or the letters written again: each is first copied to ``work``, again if it
    was swapped during the copy, so that the archive holds one whole version of it."""
    base = root / folder
    if not base.is_dir():
        return []
    entries: list[dict[str, Any]] = []
    for child in sorted(base.iterdir()):
        if child.name.startswith("."):
            continue
        copy = work / "run-folder"
        for _attempt in range(5):
            shutil.rmtree(copy, ignore_errors=True)
            before = _inode(child)
            try:
                if child.is_dir():
                    shutil.copytree(child, copy, ignore=shutil.ignore_patterns(".*"))
                else:
                    copy.mkdir()
                    shutil.copy2(child, copy / child.name)
            except (FileNotFoundError, shutil.Error):
                continue
            if _inode(child) == before:
                break
        else:
            raise OpsError(_("%(folder)s kept changing during the backup.") % {"folder": child})
        sources = sorted(copy.rglob("*")) if child.is_dir() else [copy / child.name]
        for path in sources:
            if path.is_file():
                inside = path.relative_to(copy) if child.is_dir() else Path()
                name = _relative(child / inside, root)
                entries.append({**_add_file(archive, path, f"{DATA}/{name}"), "path": name})
        shutil.rmtree(copy, ignore_errors=True)
    return entries


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _add_file(archive: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    """Add ``path`` as ``name``, hashing it as it is read; its manifest entry."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(path.stat().st_mtime)
        reader = _HashingReader(file)
        archive.addfile(info, reader)
    return {"member": name, "size": size, "sha256": reader.digest.hexdigest()}


class _HashingReader(io.RawIOBase):
    """A file read once: into the tar and into the SHA-256."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        block = self.file.read(size)
        self.digest.update(block)
        return block


def _left_out(files: list[dict[str, Any]]) -> list[str]:
    """The files under the data folder the archive does not hold (uploads in progress,
    crash leftovers, versions written after the snapshot), at most 200."""
    root = data_dir()
    kept = {entry["path"] for entry in files}
    left = []
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file():
                name = _relative(path, root)
                if name not in kept:
                    left.append(name)
    return left[:200]


def _relative(path: Path, root: Path) -> str:
    return PurePosixPath(path.relative_to(root)).as_posix()


# --------------------------------------------------------------------------- restore


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of the archive ``source``.

    Raises:
        OpsError: not a panelcare backup, or of a newer format.
    """
    try:
        with tarfile.open(source, "r:") as archive:
            member = archive.extractfile(MANIFEST)
            assert member is not None
            manifest = json.loads(member.read())
    except (OSError, KeyError, tarfile.TarError, ValueError, AssertionError):
        raise OpsError(
            _("%(path)s is not a panelcare backup (no readable manifest).") % {"path": source}
        ) from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise OpsError(
            _("%(path)s is not a backup this version of panelcare reads.") % {"path": source}
        )
    return dict(manifest)


def restore_backup(source: Path, *, using: str = "default", force: bool = False) -> RestoreReport:
    """Restore the archive ``source`` into the database ``using`` and the data folder.

    Raises:
        ArchiveDamaged: a member differs from the manifest; nothing was written.
        OpsError: the target database or data folder holds data (without ``force``),
            the database is of another kind than the archive's, or the archive comes
            from a newer version of panelcare; nothing was written.
    """
    started = time.monotonic()
    connection = connections[using]
    manifest = read_manifest(source)
    database = manifest["database"]
    if database["vendor"] != connection.vendor:
        raise OpsError(
            _("This backup holds a %(archive)s database; the target is %(target)s.")
            % {"archive": database["vendor"], "target": connection.vendor}
        )
    with tarfile.open(source, "r:") as archive:
        _verify_members(archive, manifest)
        _check_migrations(manifest["migrations"])
        if not force:
            _refuse_if_not_empty(connection)
        root = data_dir()
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".restore.", dir=root))
        try:
            database_file = work / Path(database["member"]).name
            _extract(archive, database["member"], database_file, database["sha256"])
            connections.close_all()
            if connection.vendor == "sqlite":
                _restore_sqlite(database_file, connection)
            else:
                _restore_postgres(database_file, connection)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for entry in manifest["files"]:
            _extract(archive, entry["member"], root / entry["path"], entry["sha256"])
    pending = _pending_migrations(using)
    if pending:
        call_command("migrate", database=using, interactive=False, verbosity=0)
    problems = check_restored(manifest, using=using)
    return RestoreReport(
        files=len(manifest["files"]),
        rows=manifest["rows"],
        seconds=time.monotonic() - started,
        migrated=bool(pending),
        problems=problems,
    )


def _check_migrations(archived: dict[str, list[str]]) -> None:
    """Refuse an archive from a newer version of the code (migrations it does not know)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    unknown = sorted(
        f"{app}.{name}"
        for app, names in archived.items()
        for name in names
        # An app without migrations here (not installed, or migrations disabled) cannot
        # tell: only a migrated app's unknown migration refuses.
        if app in loader.migrated_apps and (app, name) not in known
    )
    if unknown:
        raise OpsError(
            _(
                "This backup comes from a newer version of panelcare (migrations unknown "
                "here: %(migrations)s): install that version, then restore."
            )
            % {"migrations": ", ".join(unknown[:10])}
        )


def _pending_migrations(using: str) -> bool:
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    return bool(set(loader.disk_migrations) - set(loader.applied_migrations or {}))


def _verify_members(archive: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    """Every member of the archive is a plain file the manifest lists, of its size and
    SHA-256; every file the manifest lists is there. Reads the whole archive once."""
    expected = {manifest["database"]["member"]: manifest["database"]}
    for entry in manifest["files"]:
        path = PurePosixPath(entry["path"])
        if path.is_absolute() or ".." in path.parts or entry["member"] != f"{DATA}/{path}":
            raise ArchiveDamaged(
                _("The backup names a file outside the data folder: %(file)s")
                % {"file": entry["path"]}
            )
        expected[entry["member"]] = entry
    seen: dict[str, str] = {}
    for member in archive:
        if member.name == MANIFEST:
            continue
        if member.name not in expected or not member.isreg():
            raise ArchiveDamaged(
                _("The backup holds a file its manifest does not list: %(file)s")
                % {"file": member.name}
            )
        stream = archive.extractfile(member)
        assert stream is not None
        seen[member.name] = _sha256_of(stream)
    for name, entry in expected.items():
        if seen.get(name) != entry["sha256"]:
            raise ArchiveDamaged(
                _(
                    "The backup is damaged: %(file)s is missing or differs from its "
                    "manifest. Nothing was restored."
                )
                % {"file": name}
            )


def _refuse_if_not_empty(connection: BaseDatabaseWrapper) -> None:
    tables = set(connection.introspection.table_names())
    holding = [
        model._meta.label_lower
        for model in _stored_models()
        if model._meta.db_table in tables
        and model._meta.label_lower not in _SCHEMA_MODELS
        and model._default_manager.using(connection.alias).exists()
    ]
    if holding:
        raise OpsError(
            _(
                "The database already holds data (%(models)s): restore into an empty "
                "database, or add --force to replace it."
            )
            % {"models": ", ".join(holding[:5])}
        )
    root = data_dir()
    if root.is_dir() and any(path.is_file() for path in root.rglob("*")):
        raise OpsError(
            _(
                "The data folder %(folder)s already holds files: restore into an empty "
                "folder, or add --force to write over them."
            )
            % {"folder": root}
        )


def _extract(archive: tarfile.TarFile, member: str, target: Path, sha256: str) -> None:
    """Write ``member`` to ``target`` under a ``.partial`` name, renamed once whole and
    of its SHA-256."""
    info = archive.getmember(member)
    stream = archive.extractfile(info)
    assert stream is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as file:
            for block in iter(lambda: stream.read(_CHUNK), b""):
                digest.update(block)
                file.write(block)
        if digest.hexdigest() != sha256:
            raise ArchiveDamaged(
                _("The backup changed while it was restored: %(file)s") % {"file": member}
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _restore_sqlite(database_file: Path, connection: BaseDatabaseWrapper) -> None:
    name = str(connection.settings_dict["NAME"])
    if not name.startswith("file:"):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(database_file)
    target = sqlite3.connect(name, uri=name.startswith("file:"))
    try:
        # The backup API writes the whole database, pages and schema, in one step.
        source.backup(target)
    finally:
        source.close()
        target.close()


def _restore_postgres(database_file: Path, connection: BaseDatabaseWrapper) -> None:
    pg_restore = _postgres_tool("pg_restore")
    _run_postgres_tool(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            str(database_file),
        ],
        connection,
    )


def check_restored(manifest: dict[str, Any], *, using: str = "default") -> list[str]:
    """The problems of a restored database and data folder: a table version whose file
    is missing or not of its digest, a letter without its file, a DONE assiduity
    computation without its results, a model whose rows differ
    from the manifest's count. Empty when all is well."""
    problems: list[str] = []
    for dataset in Dataset.objects.using(using).select_related("region"):
        if not dataset.path.is_file():
            problems.append(_("%(version)s: its file is missing") % {"version": dataset})
        elif _sha256(dataset.path) != dataset.digest:
            problems.append(_("%(version)s: its file is not of its digest") % {"version": dataset})
    for letter in Letter.objects.using(using).select_related("run__region"):
        if not letter.path.is_file():
            problems.append(_("%(file)s: missing") % {"file": letter.path})
    done = AssiduityRun.objects.using(using).filter(status=AssiduityRunStatus.DONE)
    for run in done.select_related("region"):
        if not run.results_folder.is_dir():
            problems.append(_("%(file)s: missing") % {"file": run.results_folder})
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    for model in _stored_models():
        label = model._meta.label_lower
        if label in manifest["rows"] and model._meta.db_table in tables:
            count = model._default_manager.using(using).count()
            if count != manifest["rows"][label]:
                problems.append(
                    _("%(model)s: %(count)s rows, %(expected)s in the backup")
                    % {"model": label, "count": count, "expected": manifest["rows"][label]}
                )
    return problems


def _stored_models() -> list[Any]:
    """The models with a table of their own."""
    return [model for model in apps.get_models() if model._meta.managed and not model._meta.proxy]


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return _sha256_of(file)


def _sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(_CHUNK), b""):
        digest.update(block)
    return digest.hexdigest()
