"""A QI group (groupe d'amélioration de la qualité): who formed it, whom they invited, who
accepted, and on what basis its members came together.

Source: CPSO, *QI Groups* (research notes B4, "Groups"; spec ``quality-groups.md``): a
physician selected for the QI program "may form a group by connecting with up to six
peers" — 2 to 7 physicians, peers selected or not.

    group = start_group("p-1", selected=True, bases={"area_of_practice"})
    group = invite(group, "p-2")                    # pending
    group = respond(group, "p-2", accept=True)      # accepted: the group is formed
    is_formed(group)                                # True (2 members)

Rules (``docs/quality-rules.md`` gives the decisions):

* The founder must be selected for the current cycle (``founder_not_selected``); the
  founder is a member from the start.
* **Seats** are the members (the founder and the accepted invitations) plus the pending
  invitations. An invitation is refused when it would make the seats exceed
  :data:`MAX_MEMBERS` (``group_full``): a pending invitation holds a seat, so a group can
  never end up with more than 7 members whatever the order of the replies. A declined
  invitation frees its seat, and the peer may be invited again.
* A group is **formed** from :data:`MIN_MEMBERS` members (2 accepted, founder included).
* The composition basis is recorded as one or more codes of :data:`BASES`.

Every function returns a new :class:`Group` (they are frozen) or raises
:class:`~panelcare.quality.errors.GroupRuleError` with a ``code``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from panelcare.quality.errors import GroupRuleError

__all__ = [
    "BASES",
    "MAX_MEMBERS",
    "MIN_MEMBERS",
    "STATUSES",
    "Group",
    "Invitation",
    "check_bases",
    "invite",
    "is_formed",
    "members",
    "pending",
    "respond",
    "seats_taken",
    "start_group",
]

# CPSO QI Groups: "a group: 2 to 7 physicians" (the founder and up to six peers).
MIN_MEMBERS = 2
MAX_MEMBERS = 7

# The composition bases (spec "Group composition (recorded, any of)"); the CPSO's
# "Ontario Health Team" is, in Québec, a health team: a GMF or an RLS.
BASES = (
    "practice_setting",  # same practice setting or community (même milieu ou communauté)
    "area_of_practice",  # same area of practice, not necessarily co-located
    "problem_based_learning",  # a problem-based learning group (groupe d'apprentissage)
    "health_team_gmf",  # collaborating in the same GMF
    "health_team_rls",  # collaborating in the same RLS
)

Status = Literal["pending", "accepted", "declined"]
STATUSES: tuple[Status, ...] = ("pending", "accepted", "declined")


@dataclass(frozen=True)
class Invitation:
    """An invitation to join a group.

    Attributes:
        physician_id: the invited peer (selected for the cycle or not).
        status: ``pending``, ``accepted`` or ``declined``.
    """

    physician_id: str
    status: Status = "pending"


@dataclass(frozen=True)
class Group:
    """A QI group.

    Attributes:
        founder_id: the selected physician who formed the group (a member).
        bases: the composition bases, codes of :data:`BASES` (at least one).
        invitations: the invitations sent, one per invited peer, in the order sent.
    """

    founder_id: str
    bases: frozenset[str]
    invitations: tuple[Invitation, ...] = field(default=())


def check_bases(bases: Iterable[str]) -> frozenset[str]:
    """The composition bases as a frozenset, checked.

    Raises:
        GroupRuleError: ``no_basis`` when there is none, ``unknown_basis`` (``basis``) for
            a code not in :data:`BASES`.
    """
    checked = frozenset(bases)
    if not checked:
        raise GroupRuleError("a group records at least one composition basis", code="no_basis")
    for basis in sorted(checked):
        if basis not in BASES:
            raise GroupRuleError(
                f"unknown composition basis {basis!r}",
                code="unknown_basis",
                params={"basis": basis},
                column="bases",
            )
    return checked


def start_group(founder_id: str, *, selected: bool, bases: Iterable[str]) -> Group:
    """A new group formed by ``founder_id``, with no invitation yet.

    Args:
        founder_id: the physician forming the group.
        selected: whether the founder is selected for the current cycle.
        bases: the composition bases (codes of :data:`BASES`).

    Raises:
        GroupRuleError: ``founder_not_selected`` when the founder is not selected;
            ``no_basis`` or ``unknown_basis`` (see :func:`check_bases`).
    """
    if not selected:
        raise GroupRuleError(
            f"{founder_id} is not selected for the cycle and cannot form a group",
            code="founder_not_selected",
            params={"physician": founder_id},
        )
    return Group(founder_id=founder_id, bases=check_bases(bases))


def members(group: Group) -> tuple[str, ...]:
    """The members: the founder first, then the peers who accepted, in invitation order."""
    accepted = (i.physician_id for i in group.invitations if i.status == "accepted")
    return (group.founder_id, *accepted)


def pending(group: Group) -> tuple[str, ...]:
    """The peers whose invitation is pending, in invitation order."""
    return tuple(i.physician_id for i in group.invitations if i.status == "pending")


def seats_taken(group: Group) -> int:
    """Members plus pending invitations: the seats no new invitation may take."""
    return len(members(group)) + len(pending(group))


def is_formed(group: Group) -> bool:
    """Whether the group has at least :data:`MIN_MEMBERS` members (founder included)."""
    return len(members(group)) >= MIN_MEMBERS


def invite(group: Group, physician_id: str) -> Group:
    """The group with a pending invitation to ``physician_id``.

    A peer who declined may be invited again: the declined invitation becomes pending.

    Raises:
        GroupRuleError: ``self_invitation`` when inviting the founder;
            ``already_invited`` (``physician``) when the peer's invitation is pending or
            accepted; ``group_full`` (``max``) when members + pending invitations are
            already :data:`MAX_MEMBERS`.
    """
    if physician_id == group.founder_id:
        raise GroupRuleError(
            "the founder is already a member", code="self_invitation", column="physician"
        )
    previous = _invitation(group, physician_id)
    if previous is not None and previous.status != "declined":
        raise GroupRuleError(
            f"{physician_id} is already invited ({previous.status})",
            code="already_invited",
            params={"physician": physician_id, "status": previous.status},
        )
    if seats_taken(group) + 1 > MAX_MEMBERS:
        raise GroupRuleError(
            f"a group has at most {MAX_MEMBERS} members, counting pending invitations",
            code="group_full",
            params={"max": str(MAX_MEMBERS)},
        )
    if previous is None:
        invitations = (*group.invitations, Invitation(physician_id))
    else:
        invitations = _with_status(group, physician_id, "pending")
    return replace(group, invitations=invitations)


def respond(group: Group, physician_id: str, *, accept: bool) -> Group:
    """The group after ``physician_id`` accepted or declined their pending invitation.

    Raises:
        GroupRuleError: ``no_pending_invitation`` (``physician``) when the peer has no
            pending invitation; ``group_full`` when accepting would make more than
            :data:`MAX_MEMBERS` members (impossible for a group built by :func:`invite`;
            checked for groups read back from records).
    """
    previous = _invitation(group, physician_id)
    if previous is None or previous.status != "pending":
        raise GroupRuleError(
            f"{physician_id} has no pending invitation to this group",
            code="no_pending_invitation",
            params={"physician": physician_id},
        )
    if accept and len(members(group)) + 1 > MAX_MEMBERS:
        raise GroupRuleError(
            f"a group has at most {MAX_MEMBERS} members",
            code="group_full",
            params={"max": str(MAX_MEMBERS)},
        )
    status: Status = "accepted" if accept else "declined"
    return replace(group, invitations=_with_status(group, physician_id, status))


def _invitation(group: Group, physician_id: str) -> Invitation | None:
    return next((i for i in group.invitations if i.physician_id == physician_id), None)


def _with_status(group: Group, physician_id: str, status: Status) -> tuple[Invitation, ...]:
    return tuple(
        replace(i, status=status) if i.physician_id == physician_id else i
        for i in group.invitations
    )
