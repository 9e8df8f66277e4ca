"""The letters of an approved run (DSP-PR-30042, 7), read side and rendering: their
facts, their templates, how each becomes a PDF, and where the written files are.

A letter is two templates: the DRMG's text (``subject`` and ``body``, a
:class:`~web.attribution.models.LetterTemplate`, or the shipped default
``attribution/letters/default_<kind>.html``), rendered with the facts of the run and of
the physician, then set in the fixed page ``attribution/letters/page.html`` (letterhead
of the region's DRMG, date, recipient, subject, body, signature block, print CSS), which
WeasyPrint turns into a PDF.

    template_for(region, "personal")                     # saved or default
    check_template("personal", subject, body)            # or LetterTemplateError
    render_pdf(template, personal_facts(run, item))      # the PDF's bytes

The writes (saving a template, writing a run's letters) are
:mod:`web.attribution.services`' (``do_save_letter_template``, ``do_write_letters``);
the background job is :func:`web.attribution.tasks.write_letters`, whose state is the
status file read by :func:`letters_status`.

The letters are French content, not message ids: they are rendered in French whatever
the language of the page that asks for them. The DRMG's text is rendered by a restricted
template engine (Django's built-in tags and filters only, no loader: no ``{% include %}``,
``{% extends %}`` nor ``{% load %}``), on facts that hold no patient.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import math
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.template import Context, Engine, TemplateSyntaxError
from django.template.loader import render_to_string
from django.utils import dateformat, timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from web import tasks_health
from web.accounts.access import region_cmls, region_drmgs
from web.attribution.errors import LetterError, LetterTemplateError
from web.attribution.models import AttributionAction, LetterKind, LetterTemplate, Run
from web.audit.models import AuditEvent
from web.dashboard.templatetags.panelcare_format import grouped, pct
from web.regions.models import Region, Rls

__all__ = [
    "GROUP_SENTENCES",
    "IN_PROGRESS",
    "MODE_SENTENCES",
    "REASON_SENTENCES",
    "VARIABLES",
    "LettersStopped",
    "RegionFacts",
    "Signatory",
    "TemplateText",
    "above_cap_count",
    "cancel_status",
    "check_template",
    "default_template",
    "end_status",
    "finishing",
    "general_facts",
    "gets_personal_letter",
    "letter_file_name",
    "letter_items",
    "letters_in_progress",
    "letters_status",
    "letters_written",
    "merged_path",
    "moved_patients",
    "new_job",
    "personal_facts",
    "plan_letters",
    "preview_pdf",
    "recipients",
    "render_html",
    "render_pdf",
    "report_status",
    "sample_facts",
    "template_for",
    "write_status",
    "writing_stopped",
]

# The language of the letters (section 7 asks for French letters).
LETTER_LANGUAGE = "fr"
MERGED_FILE = "merged.pdf"
LAYOUT = "attribution/letters/page.html"
DEFAULT_TEMPLATES = {
    LetterKind.GENERAL: "attribution/letters/default_general.html",
    LetterKind.PERSONAL: "attribution/letters/default_personal.html",
}
DEFAULT_SUBJECTS = {
    LetterKind.GENERAL: "Attribution des patients orphelins du GAMF — {{ territory }}",
    LetterKind.PERSONAL: (
        "Votre participation à l'attribution des patients orphelins — {{ physician_name }}"
    ),
}

# Each physician's group, in French (5.1); formatted with the letter's facts.
GROUP_SENTENCES = {
    "1a": (
        "Groupe 1a : vous êtes un nouveau médecin soumis à l'exigence d'inscription des "
        "activités médicales particulières (AMP). Vous recevez un bloc de patients pour "
        "atteindre {target} inscriptions durant votre première année de pratique."
    ),
    "1b": (
        "Groupe 1b : vous êtes en pratique et comptez moins de {threshold} patients "
        "inscrits. Vous recevez des patients pour atteindre {threshold} inscriptions, après "
        "les médecins du groupe 1a."
    ),
    "2": (
        "Groupe 2 : vous comptez {threshold} patients inscrits ou plus. Comme il reste des "
        "patients orphelins après le groupe 1, vous êtes invité à atteindre {target} "
        "inscriptions, la cible fixée pour cet exercice."
    ),
    "2_none": (
        "Groupe 2 : vous comptez {threshold} patients inscrits ou plus. Les médecins du "
        "groupe 2 accueillent les patients orphelins qui restent après le groupe 1 : aucun "
        "ne vous est attribué lors de cet exercice."
    ),
    "none": "Vous ne recevez pas de patients lors de cet exercice.",
}

# The modes of section 7, in French.
MODE_SENTENCES = {
    "bloc": "attribution particulière : un bloc de patients de la liste d'attente du GAMF",
    "le304": (
        "lettre d'entente 304 : transfert en bloc d'au moins {le304_min_block} patients d'un "
        "collègue qui quitte, sans première visite obligatoire"
    ),
    "none": "ne participe pas à l'attribution",
}

# Every reason code of the engine (docs/attribution-rules.md, "Reason codes", and
# outputs.PLAN_REASONS), as a sentence addressed to the physician.
REASON_SENTENCES = {
    "group_1a": (
        "Votre cible est l'exigence d'inscription AMP de votre avis de conformité : "
        "{target} patients."
    ),
    "group_1b": (
        "Vous comptez moins de {threshold} patients inscrits : votre cible est de "
        "{threshold} inscriptions."
    ),
    "group_2": (
        "Vous comptez {threshold} patients inscrits ou plus : votre cible pour cet exercice "
        "est de {target} inscriptions."
    ),
    "not_participating": "Vous ne recevez aucun patient lors de cet exercice.",
    "declined": "Vous avez choisi de ne pas participer à l'attribution.",
    "departing": "Vous avez annoncé votre départ du territoire.",
    "below_exclusion_threshold": (
        "Vous comptez moins de {exclude_below} patients inscrits : le CML vous a exclu de "
        "cet exercice."
    ),
    "shortage_spared": (
        "En situation de pénurie, les médecins qui ont déjà une pleine charge de travail "
        "({full_units} unités) sont épargnés."
    ),
    "under_full_workload": (
        "Votre charge de travail est inférieure à {full_units} unités : vous êtes servi en "
        "priorité parmi les médecins du groupe 1b."
    ),
    "full_workload_reached": (
        "Votre charge de travail atteint déjà {full_units} unités : vous êtes servi après "
        "les médecins du groupe 1b qui ne l'atteignent pas."
    ),
    "target_set_by_cml": (
        "Votre cible de {target} inscriptions a été fixée par le coordonnateur médical local "
        "(CML) lors de la révision du plan."
    ),
    "target_offered": (
        "Votre cible de {target} inscriptions est celle de votre offre, acceptée par le "
        "coordonnateur médical local (CML) : vos patients inscrits et les nouveaux patients "
        "que vous avez offert de prendre."
    ),
    "target_reached": "Vous avez déjà atteint votre cible d'inscriptions.",
    "shortage_capped": (
        "En situation de pénurie, le nombre de patients qui vous sont attribués est limité "
        "pour ne pas dépasser une pleine charge de travail ({full_units} unités)."
    ),
    "yearly_cap": (
        "Après quatre ans de pratique, le nombre de patients de la liste d'attente que vous "
        "recevez est plafonné à {yearly_cap} par année."
    ),
    "above_vulnerable_cap": (
        "Votre clientèle compte déjà plus de {vulnerable_cap} de patients vulnérables : "
        "aucun patient vulnérable ne vous est attribué."
    ),
    "le304_eligible": (
        "Vous avez choisi la lettre d'entente 304 et votre taux d'assiduité de l'an dernier "
        "atteint {le304_min_assiduity} : vous recevez des patients en bloc d'un collègue "
        "qui quitte."
    ),
    "le304_ineligible_assiduity": (
        "Vous avez choisi la lettre d'entente 304, mais votre taux d'assiduité de l'an "
        "dernier est inconnu ou inférieur à {le304_min_assiduity} : vous recevez des "
        "patients un à un, comme en attribution particulière."
    ),
    "need_filled": "Les patients qui vous sont attribués permettent d'atteindre votre cible.",
    # Said from the plan's record of the physician when known (letters._reach_sentence).
    "candidates_exhausted": (
        "Vous recevez moins de patients que votre besoin : les patients orphelins à moins "
        "de {max_distance} de votre lieu de pratique sont allés à d'autres médecins ou sont "
        "restés sans médecin."
    ),
    "no_candidate": (
        "Aucun patient ne vous est attribué : les patients orphelins à moins de "
        "{max_distance} de votre lieu de pratique sont allés à d'autres médecins ou sont "
        "restés sans médecin."
    ),
    "le304_block": (
        "Vous recevez un bloc de patients d'un collègue qui quitte (lettre d'entente 304)."
    ),
}


@dataclass(frozen=True)
class TemplateText:
    """The subject and body of one kind of letter, and whether it is the shipped default."""

    kind: str
    subject: str
    body: str
    is_default: bool
    updated_by: str = ""
    updated_at: datetime.datetime | None = None


# --------------------------------------------------------------------------- templates


# The DRMG's text runs in this engine: the built-in tags and filters, nothing to load.
_ENGINE = Engine(loaders=[], autoescape=True)
# The same, marking unknown variables so that a misspelt one is refused when saved.
_UNKNOWN = "\x00unknown:%s\x00"
_STRICT_ENGINE = Engine(loaders=[], autoescape=True, string_if_invalid=_UNKNOWN)
_UNKNOWN_RE = re.compile("\x00unknown:(.*?)\x00")
# {% debug %} prints the context and the server's modules: never in a letter.
_DEBUG_TAG = re.compile(r"{%-?\s*debug\b")


def default_template(kind: str) -> TemplateText:
    """The shipped text of ``kind`` (the source of the default template file)."""
    path = _default_template_path(kind)
    return TemplateText(
        kind=kind,
        subject=DEFAULT_SUBJECTS[kind],
        body=path.read_text(encoding="utf-8"),
        is_default=True,
    )


def _default_template_path(kind: str) -> Path:
    return Path(__file__).parent / "templates" / DEFAULT_TEMPLATES[LetterKind(kind)]


def template_for(region: Region, kind: str) -> TemplateText:
    """The DRMG's saved template of ``kind`` for ``region``, or the shipped default."""
    saved = (
        LetterTemplate.objects.filter(region=region, kind=kind).select_related("updated_by").first()
    )
    if saved is None:
        return default_template(kind)
    return TemplateText(
        kind=kind,
        subject=saved.subject,
        body=saved.body,
        is_default=False,
        updated_by=saved.updated_by.get_full_name() or saved.updated_by.get_username(),
        updated_at=saved.updated_at,
    )


def check_template(kind: str, subject: str, body: str) -> None:
    """Compile and render ``subject`` and ``body`` on the sample facts of ``kind``, and
    lay out the page as a PDF.

    Raises:
        LetterTemplateError: empty, does not compile, does not render, names a variable
            the letters do not have, or the page cannot be laid out.
    """
    messages = {
        "subject": {
            "empty": _("The subject is empty."),
            "compile": _("The subject does not compile: %(error)s"),
            "render": _("The subject does not render: %(error)s"),
            "unknown": _("The subject uses a variable the letters do not have: %(names)s"),
            "debug": _("The subject uses the debug tag, which would print the server's state."),
        },
        "body": {
            "empty": _("The body is empty."),
            "compile": _("The body does not compile: %(error)s"),
            "render": _("The body does not render: %(error)s"),
            "unknown": _("The body uses a variable the letters do not have: %(names)s"),
            "debug": _("The body uses the debug tag, which would print the server's state."),
        },
    }
    facts = sample_facts(kind)
    for part, text in (("subject", subject), ("body", body)):
        say = messages[part]
        if not text.strip():
            raise LetterTemplateError(say["empty"])
        if _DEBUG_TAG.search(text):
            raise LetterTemplateError(say["debug"])
        try:
            rendered = _STRICT_ENGINE.from_string(text).render(Context(facts))
        except TemplateSyntaxError as error:
            raise LetterTemplateError(say["compile"] % {"error": error}) from None
        except Exception as error:  # any error of a template tag or filter at render time
            raise LetterTemplateError(say["render"] % {"error": error}) from None
        unknown = sorted(set(_UNKNOWN_RE.findall(rendered)))
        if unknown:
            raise LetterTemplateError(say["unknown"] % {"names": ", ".join(unknown)})
    try:
        render_pdf(TemplateText(kind, subject, body, is_default=False), facts)
    except Exception as error:
        raise LetterTemplateError(
            _("The letter cannot be laid out as a PDF: %(error)s") % {"error": error}
        ) from None


def render_html(template: TemplateText, facts: Mapping[str, Any]) -> str:
    """The letter's page as HTML: the template's subject and body rendered with ``facts``,
    set in the page layout."""
    with translation.override(LETTER_LANGUAGE):
        context = Context(dict(facts))
        subject = _ENGINE.from_string(template.subject).render(context)
        body = _ENGINE.from_string(template.body).render(context)
        return render_to_string(
            LAYOUT,
            {
                **facts,
                # One line: a subject template with a line break stays a title.
                # Escaped by the template engine already.
                "subject": mark_safe(" ".join(subject.split())),
                "body": SafeString(body),
                "kind": template.kind,
            },
        )


def render_pdf(template: TemplateText, facts: Mapping[str, Any]) -> bytes:
    """The letter as a PDF file's bytes (WeasyPrint, the process's fonts reused:
    :func:`web.attribution.letterpdf.pdf_of`)."""
    from web.attribution.letterpdf import pdf_of

    return pdf_of(render_html(template, facts))[0]


# --------------------------------------------------------------------------- facts


def _int(value: int | float | None) -> str:
    """A whole number in French, as the pages write it (the shared filter ``grouped``:
    "1 250" with a no-break space)."""
    if value is None:
        return ""
    with translation.override(LETTER_LANGUAGE):
        return grouped(int(value))


def _pct(ratio: float | None, decimals: int = 1) -> str:
    """0.4464 -> "44,6 %", by the pages' filter ``pct`` (rounded, never "-0,0"), so that
    a page and a letter show the same share; "—" for no value."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return "—"
    with translation.override(LETTER_LANGUAGE):
        return pct(ratio, decimals)


def _patients(count: int) -> str:
    """ "1 patient", "0 patient", "12 patients" (French: the plural from 2 on)."""
    return f"{_int(count)} patient" + ("s" if abs(int(count)) >= 2 else "")


def _day(day: datetime.date) -> str:
    """A date in French: 1er janvier 2027, 23 novembre 2026."""
    with translation.override(LETTER_LANGUAGE):
        text = dateformat.format(day, "j F Y")
    return ("1er" + text[1:]) if text.startswith("1 ") else text


def _month_name(day: datetime.date) -> str:
    with translation.override(LETTER_LANGUAGE):
        return dateformat.format(day, "F Y")


def month_of_period(start: datetime.date, month: int) -> datetime.date:
    """The first day of the ``month``-th month of a period starting on ``start``'s month
    (month 1 is the run date's month)."""
    index = start.year * 12 + start.month - 1 + (month - 1)
    return datetime.date(index // 12, index % 12 + 1, 1)


def _params_words(params: Mapping[str, Any]) -> dict[str, str]:
    """The parameters the sentences name, formatted."""
    yearly = params.get("yearly_cap_after_4_years")
    exclude = params.get("exclude_below")
    return {
        "threshold": _int(params.get("group1_threshold", 500)),
        "group2_target": _int(params.get("group2_target", 750)),
        "vulnerable_cap": _pct(params.get("vulnerable_cap", 0.45), 0),
        "full_units": f"{params.get('full_workload_units', 3.0):g}".replace(".", ","),
        "le304_min_assiduity": _pct(params.get("le304_min_assiduity", 0.75), 0),
        "le304_min_block": _int(params.get("le304_min_block", 50)),
        "exclude_below": _int(exclude) if exclude is not None else "",
        "max_distance": f"{_int(params.get('max_distance_km', 50))} km",
        "yearly_cap": _int(yearly) if yearly is not None else "",
    }


def _sentence(template: str, words: Mapping[str, str]) -> str:
    return template.format_map(_Words(words))


class _Words(dict):
    # A sentence naming a word the facts lack keeps the placeholder rather than failing.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def reason_sentences(codes: Iterable[str], words: Mapping[str, str]) -> list[str]:
    """The French sentences of ``codes`` (an unknown code is kept as is)."""
    return [_sentence(REASON_SENTENCES.get(code, code), words) for code in codes]


def cml_contacts(region: Region) -> dict[str, list[dict[str, str]]]:
    """The CMLs of each RLS code of ``region``: ``name`` (as they sign, from their profile:
    :attr:`~web.accounts.models.Profile.signs_as`; never their login), ``title`` and
    ``email`` (each may be empty)."""
    contacts: dict[str, list[dict[str, str]]] = {}
    profiles = (
        region_cmls(region)
        .select_related("user")
        .prefetch_related("rls")
        .order_by("user__last_name", "user__username")
    )
    for profile in profiles:
        person = {
            "name": profile.signs_as,
            "title": profile.signatory_title.strip(),
            "email": profile.user.email,
        }
        for rls in profile.rls.all():
            contacts.setdefault(rls.code, []).append(person)
    return contacts


def _contact_words(people: list[dict[str, str]]) -> str:
    """The CMLs of an RLS as one phrase: "Dr Marc Exemple, coordonnateur médical local
    (cml@example.org)"; the DRMG when the RLS has none."""
    if not people:
        return "le Département régional de médecine générale (DRMG)"
    parts = []
    for person in people:
        name = person.get("name") or "votre coordonnateur médical local (CML)"
        if person.get("title"):
            name = f"{name}, {person['title'][:1].lower()}{person['title'][1:]}"
        parts.append(f"{name} ({person['email']})" if person.get("email") else name)
    return ", ".join(parts)


def plan_summary(run: Run) -> dict[str, Any]:
    """The summary of ``run``'s plan (``summary.json``, :func:`outputs.summary`); empty
    when the plan cannot be read."""
    try:
        return json.loads((plan_folder(run) / "summary.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return dict(run.summary or {})


@dataclass(frozen=True)
class Signatory:
    """Who signs a run's letters, as their profile says (name, title, signature block)."""

    name: str = ""
    title: str = ""
    block: str = ""


@dataclass(frozen=True)
class RegionFacts:
    """What every letter of a region names: RLS names, CMLs, the signatory (read once
    for a batch of letters)."""

    rls_names: dict[str, str]
    contacts: dict[str, list[dict[str, str]]]
    signatory: Signatory

    @classmethod
    def of(cls, region: Region, run: Run | None = None) -> RegionFacts:
        return cls(_rls_names(region), cml_contacts(region), signatory(region, run))


def _common_facts(
    run: Run, summary: Mapping[str, Any], today: datetime.date, region_facts: RegionFacts
) -> dict[str, Any]:
    region = run.region
    params = summary.get("params") or {}
    signer = region_facts.signatory
    return {
        "region": region.name,
        "drmg": f"Département régional de médecine générale (DRMG) — {region.name}",
        "signatory": signer.name,
        "signatory_title": signer.title,
        "signature_lines": [line.strip() for line in signer.block.splitlines() if line.strip()],
        "date": _day(today),
        "run_title": run.title or f"#{run.pk}",
        "run_reference": run.pk,
        "run_date": _day(run.run_date),
        "period_months": _int(params.get("period_months", 12)),
        **_params_words(params),
    }


def signatory(region: Region, run: Run | None = None) -> Signatory:
    """Who signs the letters of ``run``: whoever approved it when they are a DRMG or a
    CML with a name (a CML signs the plan of their RLS they approved), else the first
    DRMG of ``region`` with a name (their profile's name as signed, else their full name);
    an empty :class:`Signatory` when none has one (the block then signs for the
    department)."""
    candidates = []
    approver = getattr(run, "approved_by", None) if run is not None else None
    profile = getattr(approver, "profile", None) if approver is not None else None
    if profile is not None and profile.region_id == region.pk and profile.role in ("drmg", "cml"):
        candidates.append(profile)
    candidates.extend(region_drmgs(region).select_related("user").order_by("user__pk"))
    for profile in candidates:
        if profile.signs_as:
            return Signatory(
                profile.signs_as, profile.signatory_title.strip(), profile.signature_block
            )
    return Signatory()


def _rls_names(region: Region) -> dict[str, str]:
    return dict(Rls.objects.filter(region=region).values_list("code", "name"))


def general_facts(
    run: Run,
    physician: Mapping[str, str],
    *,
    summary: Mapping[str, Any] | None = None,
    today: datetime.date | None = None,
    region_facts: RegionFacts | None = None,
    personal_letter: bool | None = None,
    above_cap: int | None = None,
) -> dict[str, Any]:
    """The facts of the general letter to ``physician`` (``physician_id``, ``name``,
    ``rls_id``) from the summary of ``run``'s plan: the territory's orphans, assigned,
    pace, the vulnerable cap, how to reach the CML; ``personal_letter``, whether this
    physician gets a personalised letter too (:func:`gets_personal_letter`; None: not
    said), ``above_cap``, how many participating physicians of the territory were already
    above the vulnerable cap (None: not said). Variables: docs/attribution-web-letters.md."""
    from web.attribution.figures import monthly_pace_text, territory_monthly_pace

    today = today or timezone.localdate()
    summary = plan_summary(run) if summary is None else summary
    region_facts = region_facts or RegionFacts.of(run.region, run)
    facts = _common_facts(run, summary, today, region_facts)
    names = region_facts.rls_names
    by_rls = summary.get("by_rls") or {}
    code = run.rls.code if run.rls is not None else None
    if run.rls is not None:
        territory = run.rls.name
        figures = by_rls.get(run.rls.code, {})
        orphans = figures.get("orphans", summary.get("orphans", 0))
        assigned = figures.get("assigned", summary.get("assigned", 0))
    else:
        territory = run.region.name
        orphans = summary.get("orphans", 0)
        assigned = summary.get("assigned", 0)
    with translation.override(LETTER_LANGUAGE):
        pace = monthly_pace_text(territory_monthly_pace(dict(summary), code))
    contacts = region_facts.contacts.get(str(physician.get("rls_id", "")), [])
    facts.update(
        {
            "physician_name": physician["name"],
            "physician_code": physician["physician_id"],
            "rls": names.get(str(physician.get("rls_id", "")), str(physician.get("rls_id", ""))),
            "territory": territory,
            "orphans": _int(orphans),
            "assigned": _int(assigned),
            "unassigned": _int(orphans - assigned),
            "monthly_pace": pace,
            "physicians_participating": _int(
                sum(row.get("physicians_participating", 0) for row in by_rls.values())
                if run.rls is None
                else by_rls.get(run.rls.code, {}).get("physicians_participating", 0)
            ),
            "personal_letter": personal_letter,
            "above_cap": "" if above_cap is None else _int(above_cap),
            "above_cap_sentence": _above_cap_sentence(above_cap, facts["vulnerable_cap"]),
            "cml_contacts": contacts,
            "cml_contact": _contact_words(contacts),
        }
    )
    return facts


def _above_cap_sentence(count: int | None, cap: str) -> str:
    if count is None:
        return ""
    if count == 0:
        return f"Lors de cet exercice, aucun médecin participant ne dépassait déjà {cap}."
    if count == 1:
        return (
            f"Lors de cet exercice, 1 médecin participant dépassait déjà {cap} : il n'a reçu "
            "aucun patient vulnérable, et sa part reste au-dessus du seuil."
        )
    return (
        f"Lors de cet exercice, {_int(count)} médecins participants dépassaient déjà {cap} : "
        "ils n'ont reçu aucun patient vulnérable, et leur part reste au-dessus du seuil."
    )


def gets_personal_letter(item: Mapping[str, Any]) -> bool:
    """Whether the targeted physician of ``item`` (:func:`panelcare.attribution.outputs.letters`)
    gets a personalised letter: when the plan gives them patients, and in group 1 (1a, 1b:
    served first, they are told why they receive none). A group-2 physician who receives
    no patient gets the general letter only, which says so."""
    return int(item.get("expected") or 0) > 0 or str(item.get("group")) in ("1a", "1b")


def personal_facts(
    run: Run,
    letter: Mapping[str, Any],
    *,
    summary: Mapping[str, Any] | None = None,
    today: datetime.date | None = None,
    region_facts: RegionFacts | None = None,
) -> dict[str, Any]:
    """The facts of a targeted physician's personalised letter, from one item of
    :func:`panelcare.attribution.outputs.letters` (with, when :func:`letter_items` read
    it, what the plan recorded about them: ``reach`` and ``moves``) and the parameters of
    ``run``'s plan. Variables: docs/attribution-web-letters.md."""
    today = today or timezone.localdate()
    summary = plan_summary(run) if summary is None else summary
    region_facts = region_facts or RegionFacts.of(run.region, run)
    facts = _common_facts(run, summary, today, region_facts)
    words = {**facts, "target": _int(letter["target"])}
    months = letter.get("months")
    first = month_of_period(run.run_date, months["first"]) if months else None
    last = month_of_period(run.run_date, months["last"]) if months else None
    contacts = region_facts.contacts.get(str(letter["rls_id"]), [])
    group = str(letter["group"])
    mode = str(letter["mode"])
    expected = int(letter["expected"])
    group_key = "2_none" if group == "2" and expected == 0 else group
    facts.update(
        {
            "physician_name": letter["name"],
            "physician_code": letter["physician_id"],
            "rls": region_facts.rls_names.get(str(letter["rls_id"]), str(letter["rls_id"])),
            "group": group,
            "group_label": _sentence(GROUP_SENTENCES.get(group_key, group), words),
            "target": _int(letter["target"]),
            "registered": _int(letter["registered"]),
            "need": _int(max(0, int(letter["target"]) - int(letter["registered"]))),
            "expected": _int(expected),
            "expected_patients": _patients(expected),
            "monthly_pace": _int(letter["monthly_pace"]),
            "monthly_pace_patients": _patients(int(letter["monthly_pace"])),
            "mode": mode,
            "mode_label": _sentence(MODE_SENTENCES.get(mode, mode), words),
            "reasons": _reasons(letter, words),
            "first_month": _month_name(first) if first else "",
            "last_month": _month_name(last) if last else "",
            "first_month_number": months["first"] if months else "",
            "last_month_number": months["last"] if months else "",
            "vulnerable_share_before": _pct(letter.get("vulnerable_share_before")),
            "vulnerable_share_after": _pct(letter.get("vulnerable_share_after")),
            "rls_vulnerable_share_mean": _pct(letter.get("rls_vulnerable_share_mean")),
            "vulnerable_rule": _vulnerable_rule(letter, words),
            "cml_contacts": contacts,
            "cml_contact": _contact_words(contacts),
        }
    )
    return facts


def _vulnerable_rule(letter: Mapping[str, Any], words: Mapping[str, str]) -> str:
    """The 45 % rule as it applied to this physician (5.3.1): above the cap already, no
    vulnerable patient (their share may stay above it); otherwise at most the cap."""
    cap = words["vulnerable_cap"]
    after = _pct(letter.get("vulnerable_share_after"))
    codes = letter.get("reasons") or []
    if "above_vulnerable_cap" in codes:
        before = letter.get("vulnerable_share_before")
        was = f" ({_pct(before)})" if before is not None else ""
        return (
            f"Votre clientèle comptait déjà plus de {cap} de patients vulnérables{was} : "
            f"conformément à la règle, aucun patient vulnérable ne vous est attribué, et "
            f"votre part après l'attribution est de {after}."
        )
    return (
        f"Après l'attribution, votre clientèle compte {after} de patients vulnérables : "
        f"les patients vulnérables vous sont attribués sans dépasser {cap}."
    )


def _reasons(letter: Mapping[str, Any], words: Mapping[str, str]) -> list[str]:
    """The reason codes as sentences; when the plan's record of this physician is known
    (``reach``, ``moves``: :func:`letter_items`), "too few patients" is said from it — how
    many orphans were within reach and where they went, and the CML's moves — rather than
    from a general sentence."""
    codes = list(letter.get("reasons") or [])
    reach = letter.get("reach")
    moves = letter.get("moves") or {}
    if reach is not None:
        codes = [code for code in codes if code not in ("no_candidate", "candidates_exhausted")]
    sentences = reason_sentences(codes, words)
    if reach is not None and {"no_candidate", "candidates_exhausted"} & set(
        letter.get("reasons") or []
    ):
        sentences.append(_reach_sentence(reach, int(moves.get("away", 0)), words))
        if reach.get("limited_by") == "vulnerable_cap":
            sentences.append(
                f"Votre quota de patients vulnérables ({_int(reach['vulnerable_quota'])}) est "
                "atteint : les autres patients vulnérables à proximité sont allés à d'autres "
                "médecins ou sont restés sans médecin."
            )
        if reach.get("limited_by") == "gmf_target_full":
            sentences.append(
                "Votre GMF a reçu la cible d'attribution convenue avec le CML : les autres "
                "patients à proximité sont allés à des médecins hors de votre GMF ou sont "
                "restés sans médecin."
            )
    away, moved_in = int(moves.get("away", 0)), int(moves.get("in", 0))
    if away:
        sentences.append(
            "Lors de la révision du plan, le coordonnateur médical local (CML) a confié à un "
            f"autre médecin {_patients(away)} "
            + ("qui vous était attribué." if away == 1 else "qui vous étaient attribués.")
        )
    if moved_in:
        sentences.append(
            "Lors de la révision du plan, le coordonnateur médical local (CML) vous a confié "
            f"{_patients(moved_in)}."
        )
    return sentences


def _reach_sentence(reach: Mapping[str, Any], moved_away: int, words: Mapping[str, str]) -> str:
    """Why fewer patients than the need, from the plan: the orphans who could be theirs
    (eligible, within the maximum distance: :func:`panelcare.attribution.explain.
    explain_physician`'s ``candidates``) and where they went."""
    within = f"à moins de {words['max_distance']} de votre lieu de pratique"
    total = int(reach.get("candidates", 0))
    if total == 0:
        return (
            f"Aucun patient orphelin de la liste d'attente ne se trouvait {within} : aucun "
            "ne pouvait vous être attribué."
        )
    earlier = int(reach.get("to_earlier_tiers", 0))
    others = max(0, int(reach.get("went_elsewhere", 0)) - earlier - moved_away)
    unassigned = int(reach.get("unassigned", 0))
    parts = []
    if earlier:
        parts.append(
            f"{_int(earlier)} {'a été attribué' if earlier == 1 else 'ont été attribués'} à "
            "des médecins servis avant vous (un groupe prioritaire)"
        )
    if others:
        parts.append(
            f"{_int(others)} à d'autres médecins servis en même temps que vous ou après "
            "(la répartition égalise la part du besoin comblée de chacun, puis réduit les "
            "distances)"
        )
    if moved_away:
        parts.append(f"{_int(moved_away)} à un autre médecin par le CML")
    if unassigned:
        parts.append(
            f"{_int(unassigned)} {'est resté' if unassigned == 1 else 'sont restés'} sans médecin"
        )
    head = (
        f"Un patient orphelin se trouvait {within}"
        if total == 1
        else f"{_int(total)} patients orphelins se trouvaient {within}"
    )
    if not parts:
        return head + "."
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]
    return f"{head} : {listed}."


def letter_items(run: Run, plan: Any) -> list[dict[str, Any]]:
    """The facts of each personalised letter of ``run`` (its computed ``plan``, a
    :class:`panelcare.attribution.solve.Plan`): :func:`panelcare.attribution.outputs.letters`
    for the physicians who get one (:func:`gets_personal_letter`; for an RLS run, the
    run's RLS and the neighbours it gives patients to), each with what the plan recorded:
    ``vulnerable_share_before``; ``reach`` (:func:`panelcare.attribution.explain.
    explain_physician`: the orphans who could be theirs and where they went, what limited
    them); ``moves``, the patients the CML moved away from them and to them (the run's
    adjustments, in the history)."""
    from panelcare.attribution import explain, outputs

    items = [
        item
        for item in outputs.letters(plan)
        if (run.rls is None or item["rls_id"] == run.rls.code or item["expected"] > 0)
        and gets_personal_letter(item)
    ]
    moves = moved_patients(run)
    physicians = plan.physicians
    index = {str(code): j for j, code in enumerate(physicians.physician_id)}
    for item in items:
        code = item["physician_id"]
        j = index[code]
        registered = int(physicians.registered[j])
        item["vulnerable_share_before"] = (
            round(float(physicians.vulnerable[j]) / registered, 4) if registered else None
        )
        if {"no_candidate", "candidates_exhausted"} & set(item["reasons"]):
            reach = explain.explain_physician(plan, code)
            item["reach"] = {
                key: reach[key]
                for key in ("candidates", "went_elsewhere", "to_earlier_tiers", "unassigned")
            }
            item["reach"]["limited_by"] = reach["why"]["limited_by"]
            item["reach"]["vulnerable_quota"] = reach["vulnerable_quota"]
        item["moves"] = moves.get(code, {})
    return items


def above_cap_count(run: Run, plan: Any) -> int:
    """How many participating physicians of ``run``'s territory (its RLS, or the region)
    were already above the vulnerable cap, so received no vulnerable patient (5.3.1)."""
    targets = plan.targets
    above = (targets.tier >= 0) & ~targets.accepts_vulnerable.astype(bool)
    if run.rls is not None:
        above &= plan.physicians.rls_id == run.rls.code
    return int(above.sum())


def moved_patients(run: Run) -> dict[str, dict[str, int]]:
    """Per physician code, the patients the CML moved ``away`` from them and ``in`` to
    them while reviewing ``run`` (the ADJUSTED entries of kind move, in order: a patient
    moved twice counts from the first physician to the last)."""
    first: dict[str, str | None] = {}
    last: dict[str, str | None] = {}
    entries = (
        AuditEvent.objects.about(run)
        .filter(action=AttributionAction.ADJUSTED)
        .order_by("created_at", "pk")
        .values_list("details", flat=True)
    )
    for details in entries:
        if not isinstance(details, dict) or details.get("kind") != "move":
            continue
        patient = str(details.get("patient_id"))
        first.setdefault(patient, details.get("from"))
        last[patient] = details.get("to")
    result: dict[str, dict[str, int]] = {}
    for patient, origin in first.items():
        target = last[patient]
        if origin == target:
            continue
        if origin:
            row = result.setdefault(str(origin), {})
            row["away"] = row.get("away", 0) + 1
        if target:
            row = result.setdefault(str(target), {})
            row["in"] = row.get("in", 0) + 1
    return result


def sample_facts(kind: str) -> dict[str, Any]:
    """Facts of an imaginary physician and run, to check and preview a template."""
    today = timezone.localdate()
    contacts = [{"name": "Dre Josée Exemple", "email": "cml@example.org"}]
    facts: dict[str, Any] = {
        "region": "Bas-Saint-Laurent",
        "drmg": "Département régional de médecine générale (DRMG) — Bas-Saint-Laurent",
        "signatory": "Dre Marie Exemple",
        "signatory_title": "Cheffe du Département régional de médecine générale",
        "signature_lines": ["DRMG du Bas-Saint-Laurent", "418 555-0100"],
        "date": _day(today),
        "run_title": "Exercice d'exemple",
        "run_reference": 0,
        "run_date": _day(today),
        "period_months": "12",
        **_params_words({}),
        "physician_name": "Dr Jean Exemple",
        "physician_code": "D00000",
        "rls": "Rimouski-Neigette",
        "cml_contacts": contacts,
        "cml_contact": _contact_words(contacts),
    }
    if kind == LetterKind.GENERAL:
        facts.update(
            {
                "territory": "Rimouski-Neigette",
                "orphans": "2840",
                "assigned": "2790",
                "unassigned": "50",
                "monthly_pace": "236,7",
                "physicians_participating": "22",
                "personal_letter": True,
                "above_cap": "2",
                "above_cap_sentence": _above_cap_sentence(2, facts["vulnerable_cap"]),
            }
        )
        return facts
    words = {**facts, "target": "500"}
    first = month_of_period(today, 1)
    last = month_of_period(today, 11)
    facts.update(
        {
            "group": "1b",
            "group_label": _sentence(GROUP_SENTENCES["1b"], words),
            "target": "500",
            "registered": "412",
            "need": "88",
            "expected": "88",
            "expected_patients": _patients(88),
            "monthly_pace": "8",
            "monthly_pace_patients": _patients(8),
            "mode": "bloc",
            "mode_label": _sentence(MODE_SENTENCES["bloc"], words),
            "reasons": reason_sentences(["group_1b", "under_full_workload", "need_filled"], words),
            "first_month": _month_name(first),
            "last_month": _month_name(last),
            "first_month_number": 1,
            "last_month_number": 11,
            "vulnerable_share_before": _pct(0.3712),
            "vulnerable_share_after": _pct(0.3821),
            "rls_vulnerable_share_mean": _pct(0.4065),
            "vulnerable_rule": _vulnerable_rule(
                {"reasons": [], "vulnerable_share_after": 0.3821}, words
            ),
        }
    )
    return facts


def preview_pdf(kind: str, subject: str, body: str) -> bytes:
    """The letter of ``kind`` with this ``subject`` and ``body`` on the sample facts, as a
    PDF (the templates' page previews a text before saving it).

    Raises:
        LetterTemplateError: the text is refused (:func:`check_template`).
    """
    check_template(kind, subject, body)
    return render_pdf(TemplateText(kind, subject, body, is_default=False), sample_facts(kind))


# The variables each kind of letter may use (documented in docs/attribution-web-letters.md).
_COMMON_VARIABLES = [
    ("region", "Bas-Saint-Laurent"),
    ("drmg", "Département régional de médecine générale (DRMG) — Bas-Saint-Laurent"),
    ("signatory", "Dre Marie Exemple"),
    ("signatory_title", "Cheffe du Département régional de médecine générale"),
    ("signature_lines", "[« DRMG du Bas-Saint-Laurent », « 418 555-0100 »]"),
    ("date", "23 novembre 2026"),
    ("run_title", "Exercice de novembre"),
    ("run_reference", "12"),
    ("run_date", "15 novembre 2026"),
    ("period_months", "12"),
    ("physician_name", "Dr Jean Exemple"),
    ("physician_code", "D00042"),
    ("rls", "Rimouski-Neigette"),
    ("threshold", "500"),
    ("group2_target", "750"),
    ("vulnerable_cap", "45 %"),
    ("full_units", "3"),
    ("le304_min_assiduity", "75 %"),
    ("le304_min_block", "50"),
    ("max_distance", "50 km"),
    ("cml_contact", "Dre Josée Exemple (cml@example.org)"),
    ("cml_contacts", "[{name, email}, …]"),
]
VARIABLES = {
    LetterKind.GENERAL: [
        *_COMMON_VARIABLES,
        ("territory", "Rimouski-Neigette"),
        ("orphans", "2840"),
        ("assigned", "2790"),
        ("unassigned", "50"),
        ("monthly_pace", "236,7"),
        ("physicians_participating", "22"),
        ("personal_letter", "True / False"),
        ("above_cap", "2"),
        ("above_cap_sentence", "Lors de cet exercice, 2 médecins participants dépassaient…"),
    ],
    LetterKind.PERSONAL: [
        *_COMMON_VARIABLES,
        ("group", "1b"),
        ("group_label", "Groupe 1b : …"),
        ("target", "500"),
        ("registered", "412"),
        ("need", "88"),
        ("expected", "88"),
        ("expected_patients", "88 patients"),
        ("monthly_pace", "8"),
        ("monthly_pace_patients", "8 patients"),
        ("mode", "bloc"),
        ("mode_label", "attribution particulière : …"),
        ("reasons", "[« Vous comptez moins de 500 patients… », …]"),
        ("first_month", "novembre 2026"),
        ("last_month", "septembre 2027"),
        ("first_month_number", "1"),
        ("last_month_number", "11"),
        ("vulnerable_share_before", "37,1 %"),
        ("vulnerable_share_after", "38,2 %"),
        ("rls_vulnerable_share_mean", "40,6 %"),
        ("vulnerable_rule", "Après l'attribution, votre clientèle compte 38,2 % …"),
    ],
}


# --------------------------------------------------------------------------- the run's plan and files


def plan_folder(run: Run) -> Path:
    return run.folder / "plan"


def recipients(run: Run) -> list[dict[str, str]]:
    """The physicians of ``run``'s roster who get the general letter: the run's RLS, or
    the whole region for a region run, by name then id."""
    path = plan_folder(run) / "inputs" / "physicians.parquet"
    try:
        table = pq.read_table(path, columns=["physician_id", "name", "rls_id"])
    except OSError as error:
        raise LetterError(
            _("The run's plan cannot be read: %(error)s") % {"error": error}
        ) from None
    if run.rls is not None:
        table = table.filter(pc.equal(table.column("rls_id"), run.rls.code))
    rows = [
        {key: "" if value is None else str(value) for key, value in row.items()}
        for row in table.to_pylist()
    ]
    return sorted(rows, key=lambda row: (row["name"], row["physician_id"]))


def plan_letters(run: Run) -> list[dict[str, Any]]:
    """The facts of each targeted physician's letter (``letters.json`` of the run's plan,
    written by the engine with :func:`panelcare.attribution.outputs.letters`), the run's
    RLS only for an RLS run."""
    path = plan_folder(run) / "letters.json"
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise LetterError(
            _("The run's plan cannot be read: %(error)s") % {"error": error}
        ) from None
    if run.rls is not None:
        items = [item for item in items if item["rls_id"] == run.rls.code or item["expected"] > 0]
    return items


def _safe_code(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", code) or "_"


def letter_file_name(physician_code: str, kind: str) -> str:
    return f"{_safe_code(physician_code)}-{kind}.pdf"


def merged_path(run: Run) -> Path:
    """The merged file of ``run``'s letters (it may not exist)."""
    return run.folder / "letters" / MERGED_FILE


def letters_written(run: Run) -> bool:
    return merged_path(run).is_file()


# --------------------------------------------------------------------------- in the background

STATUS_FILE = "letters-status.json"
# Held (flock) while the status is read and replaced by the worker, a cancellation or the
# final swap of the letters into place, so that none overwrites another's decision.
STATUS_LOCK = "letters-status.lock"
# A queued job whose status has not moved for this long is taken as lost (no worker took
# it): the letters may be asked for again. A running one has the lease of every long task
# (web.tasks_health.lease_seconds): its worker writes the status, its heartbeat, with its
# progress.
STALE_AFTER = datetime.timedelta(minutes=10)
IN_PROGRESS = ("queued", "running")


class LettersStopped(Exception):
    """The letters being written are no longer wanted: cancelled
    (:func:`web.attribution.services.do_cancel_letters`), asked for again, or taken for
    stopped after the lease without a heartbeat. Raised by :func:`report_status` (and
    :func:`finishing`) so that the worker stops where it is; nothing of its writing is
    kept (the previous letters stay as they were)."""

    def __init__(self, run_id: int) -> None:
        super().__init__(f"the letters of run {run_id} are no longer being written")
        self.run_id = run_id


def letters_status(run: Run) -> dict[str, Any] | None:
    """The state of the latest writing of ``run``'s letters: ``state`` (queued, running,
    done, failed, cancelled), ``done`` and ``total`` letters, ``error``, ``updated_at``
    (ISO), ``job`` (the writing's token); None before the first. A running job whose
    status (its heartbeat) is older than the lease, or a queued one that has not moved for
    :data:`STALE_AFTER`, reads as failed with :data:`web.tasks_health.STOPPED_MESSAGE`:
    its worker is gone and the letters may be asked for again."""
    status = _read_status(run)
    if status is not None and _stale(status):
        status.update(state="failed", error=str(tasks_health.STOPPED_MESSAGE), stopped=True)
    return status


def write_status(run: Run, **fields: Any) -> None:
    """Replace the status file atomically (a page may read it at any moment)."""
    run.folder.mkdir(parents=True, exist_ok=True)
    status = {**fields, "updated_at": timezone.now().isoformat()}
    partial = run.folder / (STATUS_FILE + ".partial")
    partial.write_text(json.dumps(status), encoding="utf-8")
    os.replace(partial, run.folder / STATUS_FILE)


def new_job() -> str:
    """A token naming one writing of a run's letters (its status's ``job``)."""
    return uuid.uuid4().hex


def report_status(run: Run, job: str, **fields: Any) -> None:
    """Write the status of the writing ``job`` (``state``, ``done``, ``total``,
    ``error``), the worker's heartbeat, if it is still the one wanted.

    Raises:
        LettersStopped: the status is no longer ``job``'s, queued or running (cancelled,
            asked for again, or stale after the lease).
    """
    with _status_lock(run):
        if not _is_current(_read_status(run), job):
            raise LettersStopped(run.pk)
        write_status(run, job=job, **fields)


def end_status(run: Run, job: str, **fields: Any) -> bool:
    """Write the final status of the writing ``job`` (failed) if it is still the one
    wanted; whether it was (a cancelled writing keeps its status)."""
    try:
        report_status(run, job, **fields)
    except LettersStopped:
        return False
    return True


@contextmanager
def finishing(run: Run, job: str) -> Iterator[None]:
    """Around the swap of the written letters into place: hold the status lock, check
    that ``job`` is still wanted, and write its status ``done`` (with the total of its
    last report) when the block ends without error. A cancellation then comes either
    before (the letters are not swapped in) or after (nothing left to cancel), never
    between.

    Raises:
        LettersStopped: the writing ``job`` is no longer wanted; the block does not run.
    """
    with _status_lock(run):
        status = _read_status(run)
        if status is None or not _is_current(status, job):
            raise LettersStopped(run.pk)
        yield
        total = int(status.get("total", 0))
        write_status(run, job=job, state="done", done=total, total=total, error="")


def cancel_status(run: Run) -> dict[str, Any] | None:
    """Mark the writing of ``run``'s letters in progress cancelled (its worker stops at
    its next report); the status it had, or None when none was in progress."""
    with _status_lock(run):
        status = _read_status(run)
        if status is None or status.get("state") not in IN_PROGRESS or _stale(status):
            return None
        write_status(
            run,
            job=status.get("job", ""),
            state="cancelled",
            done=status.get("done", 0),
            total=status.get("total", 0),
            error="",
        )
    return status


def writing_stopped(run: Run | None, job: str) -> bool:
    """Whether the writing ``job`` of ``run``'s letters (None: a run deleted since) has
    lost its worker, so that its task result still RUNNING is a dead worker's: its status
    (its heartbeat) is gone or another writing's, reads as stopped (queued or running,
    stale: :func:`letters_status`), or is final (done, failed, cancelled) since more than
    the lease (a worker that ends writes its final status just before it returns)."""
    status = _read_status(run) if run is not None else None
    if status is None or status.get("job", "") != job:
        return True
    if status.get("state") in IN_PROGRESS:
        return _stale(status)
    try:
        written = datetime.datetime.fromisoformat(status["updated_at"])
    except (KeyError, TypeError, ValueError):
        return True
    return (timezone.now() - written).total_seconds() > tasks_health.lease_seconds()


def letters_in_progress(run: Run) -> bool:
    status = letters_status(run)
    return status is not None and status["state"] in IN_PROGRESS


def _read_status(run: Run) -> dict[str, Any] | None:
    try:
        status = json.loads((run.folder / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return status if isinstance(status, dict) else None


def _stale(status: Mapping[str, Any]) -> bool:
    """Whether a queued or running ``status`` has lost its worker."""
    state = status.get("state")
    if state not in IN_PROGRESS:
        return False
    try:
        age = timezone.now() - datetime.datetime.fromisoformat(status["updated_at"])
    except (KeyError, TypeError, ValueError):
        return True
    if state == "queued":
        return age > STALE_AFTER
    return age.total_seconds() > tasks_health.lease_seconds()


def _is_current(status: Mapping[str, Any] | None, job: str) -> bool:
    """Whether ``status`` is the writing ``job``'s, queued or running, not stale (a
    status of before the tokens has none: the job "")."""
    return (
        status is not None
        and status.get("job", "") == job
        and status.get("state") in IN_PROGRESS
        and not _stale(status)
    )


@contextmanager
def _status_lock(run: Run) -> Iterator[None]:
    """The run's letters status lock (an exclusive flock on :data:`STATUS_LOCK`); not
    reentrant."""
    run.folder.mkdir(parents=True, exist_ok=True)
    with (run.folder / STATUS_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
