"""The demo region's quality-improvement groups, written through the quality services as
their users would, every date relative to ``as_of`` (docs/demo-region.md).

Four groups of the RLS of the demo physician (``medecin``), one at each stage the issue
asks for, all of the current 5-year cycle:

* **accepted** (« GMF — suivi des maladies chroniques »): ``medecin`` and two peers of
  the RLS, the four activities done, a plan accepted by ``coach`` about six months before
  ``as_of``, its two goals measured by the platform (assiduity rate and panel size, so
  the run charts read months of figures nobody typed), a PDSA cycle closed and one under
  way, and a self-care goal measured by hand with monthly points;
* **under review**: two physicians, the four activities done, the plan submitted ten days
  before ``as_of``;
* **half done**: two physicians, some steps of some activities saved;
* **inviting**: a founder with two invitations pending and no coach yet (it shows on the
  coach's dashboard, to take up).

The other physicians act through users ``md.<code>`` without password nor profile
(they cannot log in, see nothing, and leave the physician record free for a real
account): the audit trail says who did what, as it would in the region. The demo
publishes the region's first QI Survey (as ``coach``) and its credits (the shipped CPSO
figures, as ``drmg``).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from web.accounts.models import Profile, Role
from web.quality import activities as steps
from web.quality.models import (
    Activity,
    ActivityKind,
    GoalKind,
    Group,
    Indicator,
    PdsaPhase,
    ReviewOutcome,
)
from web.quality.services import activities, groups, plans, reference, selection
from web.regions.models import Physician, Region

__all__ = ["DEMO_SURVEY", "load_demo_quality"]

# The region's first QI Survey, as a coach would write it (their text; the survey is the
# region's to edit).
DEMO_SURVEY: list[dict[str, Any]] = [
    {
        "key": "setting",
        "text": "Décrivez votre milieu de pratique et votre équipe.",
        "kind": "text",
    },
    {
        "key": "emr_reminders",
        "text": "Votre DMÉ vous sert-il à programmer des rappels (suivis, dépistages)?",
        "kind": "choice",
        "choices": ["Oui", "En partie", "Non"],
    },
    {
        "key": "qi_confidence",
        "text": "Votre aisance avec l'amélioration continue de la qualité (1 à 5)",
        "kind": "scale",
    },
    {
        "key": "data_use",
        "text": "À quelle fréquence consultez-vous des données sur votre pratique?",
        "kind": "choice",
        "choices": ["Chaque mois", "Quelques fois par année", "Rarement"],
    },
    {
        "key": "expectations",
        "text": "Qu'attendez-vous de votre groupe d'amélioration?",
        "kind": "text",
    },
]

_SURVEY_ANSWERS = {
    "setting": "GMF de six médecins avec infirmière clinicienne et travailleuse sociale.",
    "emr_reminders": "En partie",
    "qi_confidence": 3,
    "data_use": "Quelques fois par année",
    "expectations": "Comparer nos pratiques et nous fixer un objectif mesurable ensemble.",
}
_PROFILE = {
    "risks": {
        "factors": ["high_volume", "fatigue"],
        "comment": "Beaucoup de patients inscrits et des journées longues à l'urgence.",
    },
    "supports": {
        "factors": ["team_based_care", "emr_use", "peer_group"],
        "comment": "Mieux utiliser les rappels du DMÉ pour les suivis de maladies chroniques.",
    },
    "reflection": {
        "strengths": "Une équipe stable et une bonne continuité avec mes patients.",
        "to_explore": "L'accès pour mes patients inscrits quand je ne suis pas au bureau.",
    },
}
_CHART_REVIEW = {
    "criteria": {"criteria": ["cpp", "medications", "results"], "charts": 20},
    "findings": {
        "cpp_met": 14,
        "cpp_not_met": 6,
        "medications_met": 18,
        "medications_not_met": 2,
        "results_met": 17,
        "results_not_met": 3,
    },
    "reflection": {
        "learned": "Le profil cumulatif n'est pas à jour dans près d'un dossier sur trois.",
        "changes": "Mettre à jour le profil à chaque visite annuelle.",
    },
    "peer": {"peer_conversation": True, "peer_learning": "Un gabarit de profil commun au GMF."},
}
_DATA_DRIVEN = {
    "figures": {
        "where_you_stand": (
            "Mon assiduité est sous la médiane de la région; mon nombre de patients inscrits "
            "est au-dessus."
        )
    },
    "opportunities": {
        "indicator": Indicator.ASSIDUITY_RATE,
        "opportunities": "Ouvrir des plages de consultation le jour même pour mes inscrits.",
    },
}


def _answers(kind: str, step_key: str, physician: Physician) -> dict[str, Any]:
    if kind == ActivityKind.QI_SURVEY:
        return dict(_SURVEY_ANSWERS)
    if kind == ActivityKind.PRACTICE_PROFILE:
        if step_key == "practice":
            facts = steps.prefill(kind, steps.PRACTICE_PROFILE[0], physician)
            values = {key: value for key, value in facts.items() if value not in (None, "")}
            return {**values, "setting": "Pratique de groupe en GMF, en milieu semi-urbain."}
        return dict(_PROFILE[step_key])
    if kind == ActivityKind.CHART_REVIEW:
        return dict(_CHART_REVIEW[step_key])
    return dict(_DATA_DRIVEN[step_key])


class _Loader:
    def __init__(self, region: Region, as_of: datetime.date) -> None:
        self.region = region
        self.as_of = as_of
        self.coach = User.objects.get(username="coach")
        self.drmg = User.objects.get(username="drmg")
        self.users: dict[int, User] = {}
        for profile in Profile.objects.filter(
            region=region, role=Role.PHYSICIAN, physician__isnull=False
        ).select_related("user"):
            assert profile.physician_id is not None
            self.users[profile.physician_id] = profile.user

    def day(self, days_before: int) -> datetime.date:
        return self.as_of - datetime.timedelta(days=days_before)

    def user(self, physician: Physician) -> User:
        """The physician's account: the demo's ``medecin``, or ``md.<code>``, a user
        without password nor profile."""
        user = self.users.get(physician.pk)
        if user is None:
            user = User(username=f"md.{physician.code.lower()}", email="")
            user.set_unusable_password()
            user.save()
            # No profile: it signs nothing in (no password) and sees no page; it names
            # who wrote in the audit trail. (A profile would hold the physician record
            # a test or a later real account of this physician needs.)
            self.users[physician.pk] = user
        return user

    def select(self, physician: Physician, on: datetime.date) -> None:
        cycle = selection.current_cycle(self.as_of)
        selection.do_select_physician(
            self.region,
            physician,
            cycle,
            datetime.date(cycle + 4, 12, 31),
            on=on,
            acting_user=self.coach,
        )

    def group(
        self,
        founder: Physician,
        peers: list[Physician],
        name: str,
        *,
        created: int,
        answered: int | None,
    ) -> Group:
        """A group formed ``created`` days before ``as_of``, its peers invited that day
        and answering (accepting) ``answered`` days before (None: still pending)."""
        bases = ["health_team_gmf"] if founder.site.gmf_id else ["practice_setting"]
        group = groups.do_create_group(
            founder,
            name,
            bases,
            gmf=founder.site.gmf if founder.site.gmf_id else None,
            on=self.day(created),
            acting_user=self.user(founder),
        )
        for peer in peers:
            invitation = groups.do_invite(
                group, peer, on=self.day(created), acting_user=self.user(founder)
            )
            if answered is not None:
                groups.do_answer_invitation(
                    invitation, True, on=self.day(answered), acting_user=self.user(peer)
                )
        return group

    def activity(
        self,
        group: Group,
        physician: Physician,
        kind: str,
        *,
        completed: int | None,
        steps_saved: int | None = None,
    ) -> Activity:
        """Save the activity's steps (the first ``steps_saved``, or all) and complete it
        ``completed`` days before ``as_of`` (None: left in progress)."""
        survey = steps.survey_in_force(self.region.pk) if kind == ActivityKind.QI_SURVEY else None
        all_steps = steps.steps_of(kind, survey)
        saved = None
        for step in all_steps[:steps_saved]:
            saved = activities.do_save_activity_step(
                group,
                physician,
                kind,
                step.key,
                _answers(kind, step.key, physician),
                acting_user=self.user(physician),
            )
        assert saved is not None
        if completed is not None:
            saved = activities.do_complete_activity(
                saved, on=self.day(completed), acting_user=self.user(physician)
            )
        return saved

    def all_activities(self, group: Group, members: list[Physician], completed: int) -> None:
        for offset, physician in enumerate(members):
            for kind in ActivityKind.values:
                self.activity(group, physician, kind, completed=completed - offset)


def _members_of(region: Region, physician: Physician) -> list[Physician]:
    """The region's physicians, ``physician`` first, then those of their RLS, then the
    others (by code): the groups are of one RLS wherever the region has enough."""
    others = sorted(
        Physician.objects.filter(rls__region=region)
        .exclude(pk=physician.pk)
        .select_related("site", "rls"),
        key=lambda other: (other.rls_id != physician.rls_id, other.code),
    )
    return [physician, *others]


def load_demo_quality(region: Region, *, as_of: datetime.date) -> dict[str, int]:
    """Write the demo region's QI groups (see the module docstring); rows per model.

    Idempotent: a region that already has groups is left as it is.
    """
    if Group.objects.filter(region=region).exists():
        return {}
    medecin = Profile.objects.select_related("physician__site", "physician__rls").get(
        user__username="medecin"
    )
    assert medecin.physician is not None
    with transaction.atomic():
        demo = _Loader(region, as_of)
        people = _members_of(region, medecin.physician)
        # Four groups of 3, 2, 2 and 1 + 2 invited: 10 physicians (the tiny region's).
        if len(people) < 10:
            raise ValueError(f"the demo's QI groups need 10 physicians, not {len(people)}")
        accepted, review, half, inviting = people[:3], people[3:5], people[5:7], people[7:10]
        reference.do_publish_credits(
            region, reference.shipped_credits_text(), acting_user=demo.drmg
        )
        activities.do_publish_survey(region, DEMO_SURVEY, acting_user=demo.coach)
        for physician in [accepted[0], review[0], half[0], inviting[0]]:
            demo.select(physician, demo.day(330))
        for physician in [*accepted[1:], review[1]]:
            demo.select(physician, demo.day(330))

        # An accepted plan, followed for six months.
        group = demo.group(
            accepted[0],
            accepted[1:],
            "GMF — suivi des maladies chroniques",
            created=310,
            answered=300,
        )
        groups.do_follow_group(group, acting_user=demo.coach)
        demo.all_activities(group, accepted, completed=250)
        _accepted_plan(demo, group, accepted)

        group = demo.group(review[0], review[1:], "Accès adapté — RLS", created=200, answered=190)
        groups.do_follow_group(group, acting_user=demo.coach)
        demo.all_activities(group, review, completed=60)
        _plan(demo, group, review[0])
        plans.do_submit_plan(group, on=demo.day(10), acting_user=demo.user(review[0]))

        group = demo.group(half[0], half[1:], "Jeunes médecins", created=90, answered=80)
        groups.do_follow_group(group, acting_user=demo.coach)
        demo.activity(group, half[0], ActivityKind.QI_SURVEY, completed=40)
        demo.activity(group, half[0], ActivityKind.PRACTICE_PROFILE, completed=None, steps_saved=2)
        demo.activity(group, half[1], ActivityKind.CHART_REVIEW, completed=None, steps_saved=1)

        demo.group(
            inviting[0], inviting[1:], "Soins palliatifs à domicile", created=12, answered=None
        )
    return {"Group": Group.objects.filter(region=region).count()}


def _plan(demo: _Loader, group: Group, author: Physician) -> list[Any]:
    """The group's plan with its three goals (two measured by the platform, one self-care
    measured by hand), written by ``author``."""
    user = demo.user(author)
    plans.do_save_plan(
        group,
        strengths="Une équipe interprofessionnelle stable; des DMÉ communs au GMF.",
        improvements="L'accès des patients inscrits à leur propre médecin; la taille des "
        "clientèles au regard des patients en attente au guichet.",
        acting_user=user,
    )
    target_date = demo.as_of + datetime.timedelta(days=180)
    goals: list[Mapping[str, Any]] = [
        {
            "title": "Hausser notre taux d'assiduité à 85 %",
            "kind": GoalKind.PRACTICE,
            "indicator": Indicator.ASSIDUITY_RATE,
            "definition": "",
            "baseline": 78,
            "target": 85,
            "target_date": target_date,
            "change_ideas": "Plages le jour même réservées aux inscrits\n"
            "Rappel des patients par l'infirmière",
        },
        {
            "title": "Inscrire des patients du guichet",
            "kind": GoalKind.PRACTICE,
            "indicator": Indicator.PANEL_SIZE,
            "definition": "",
            "baseline": 1000,
            "target": 1100,
            "target_date": target_date,
            "change_ideas": "Une demi-journée par semaine de prise en charge de nouveaux patients",
        },
        {
            "title": "Protéger une demi-journée par semaine sans clinique",
            "kind": GoalKind.SELF_CARE,
            "indicator": "",
            "definition": "Demi-journées sans clinique prises dans le mois (moyenne du groupe)",
            "baseline": 1,
            "target": 4,
            "target_date": target_date,
            "change_ideas": "Bloquer la demi-journée à l'horaire trois mois d'avance",
        },
    ]
    return [plans.do_save_goal(group, values, acting_user=user) for values in goals]


def _accepted_plan(demo: _Loader, group: Group, members: list[Physician]) -> None:
    author = demo.user(members[0])
    assiduity, panel, self_care = _plan(demo, group, members[0])
    # The baselines are the platform's figures when the plan was written, where it has
    # them (the demo's assiduity is computed after this load; its baseline stays typed).
    plans.do_submit_plan(group, on=demo.day(200), acting_user=author)
    plan = group.plan
    plans.do_review_plan(
        plan,
        ReviewOutcome.ACCEPTED,
        "Plan clair et mesurable; bon choix d'indicateurs de la plateforme.",
        on=demo.day(180),
        acting_user=demo.coach,
    )
    closed = plans.do_start_pdsa_cycle(
        assiduity,
        change_idea="Plages le jour même réservées aux inscrits",
        plan_text="Réserver deux plages par jour aux inscrits, pendant un mois.",
        prediction="Le taux d'assiduité du mois montera de 2 points.",
        on=demo.day(175),
        acting_user=author,
    )
    for phase, text in (
        (PdsaPhase.DO, "Fait du 1er au 30 du mois; 38 plages utilisées sur 40."),
        (PdsaPhase.STUDY, "Hausse de 1,5 point: un peu moins que prévu."),
    ):
        closed = plans.do_record_pdsa_phase(
            closed, phase, text=text, on=demo.day(140), acting_user=author
        )
    plans.do_record_pdsa_phase(
        closed, PdsaPhase.ACT, decision="adopt", on=demo.day(135), acting_user=author
    )
    plans.do_start_pdsa_cycle(
        assiduity,
        change_idea="Rappel des patients par l'infirmière",
        plan_text="L'infirmière rappelle les inscrits vus ailleurs le mois précédent.",
        prediction="Deux rappels sur trois mèneront à un rendez-vous au GMF.",
        on=demo.day(60),
        acting_user=author,
    )
    plans.do_start_pdsa_cycle(
        panel,
        change_idea="Une demi-journée par semaine de prise en charge de nouveaux patients",
        plan_text="Prendre cinq patients du guichet par semaine pendant huit semaines.",
        prediction="Quarante nouveaux inscrits en deux mois.",
        on=demo.day(150),
        acting_user=author,
    )
    # The self-care goal's manual measure: one point a month since the plan's acceptance.
    month = demo.day(180).replace(day=1)
    values = [1, 1, 2, 2, 3, 3, 3, 4]
    index = 0
    while month < demo.as_of.replace(day=1) and index < len(values):
        plans.do_record_manual_point(
            self_care, month=month, value=values[index], on=month, acting_user=author
        )
        index += 1
        month = (month + datetime.timedelta(days=32)).replace(day=1)
