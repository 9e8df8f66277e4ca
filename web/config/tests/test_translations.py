from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import translation

PO_FILE = Path(__file__).resolve().parents[3] / "locale" / "fr" / "LC_MESSAGES" / "django.po"


@dataclass
class Entry:
    flags: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def msgstrs(self) -> dict[str, str]:
        return {k: v for k, v in self.fields.items() if k.startswith("msgstr")}


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file, with their flags and unescaped strings (header included)."""
    entries: list[Entry] = []
    entry = Entry()
    key = ""
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry.fields:
                entries.append(entry)
            entry, key = Entry(), ""
        elif line.startswith("#,"):
            entry.flags += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry.fields[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            entry.fields[key] = ast.literal_eval(value)
    return entries


def test_it_translates_every_message_to_french():
    entries = read_po(PO_FILE)
    header, messages = entries[0], entries[1:]
    assert header.fields["msgid"] == ""
    assert "Language: fr\n" in header.fields["msgstr"]
    assert "Plural-Forms: nplurals=2; plural=(n > 1);\n" in header.fields["msgstr"]
    assert len(messages) > 100
    for entry in entries:
        assert "fuzzy" not in entry.flags, entry.fields["msgid"]
    for entry in messages:
        assert entry.msgstrs, entry.fields["msgid"]
        assert all(entry.msgstrs.values()), entry.fields["msgid"]
        if "msgid_plural" in entry.fields:
            assert set(entry.msgstrs) == {"msgstr[0]", "msgstr[1]"}, entry.fields["msgid"]


def test_it_ships_a_compiled_catalogue_matching_its_source():
    messages = read_po(PO_FILE)[1:]
    with translation.override("fr"):
        assert translation.gettext("Dashboard") == "Tableau de bord"
        for entry in messages:
            if "msgctxt" in entry.fields:
                continue
            msgid = entry.fields["msgid"]
            if "msgid_plural" in entry.fields:
                plural = entry.fields["msgid_plural"]
                assert translation.ngettext(msgid, plural, 1) == entry.fields["msgstr[0]"]
                assert translation.ngettext(msgid, plural, 2) == entry.fields["msgstr[1]"]
            else:
                assert translation.gettext(msgid) == entry.fields["msgstr"], msgid
