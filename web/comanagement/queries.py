"""The posts the CISSS/CIUSSS left vacant past their hiring deadline, per year: the
evidence of a DRMG notice (« avis de la DRMG », EP 40, 15.01 B), which deems a GMF
member's assiduity shortfall to result from staff the CISSS/CIUSSS did not assign.

The deadline and the days are the core's
(:func:`panelcare.comanagement.obligations.hiring_deadline`,
:func:`~panelcare.comanagement.obligations.vacant_days_past_deadline`), never computed
here: a year is ``[1 January, next 1 January)``, cut at the post's closing (a closed post
is no longer owed) and at the end of today (the days of a year under way are those
already past). Read by the post's "propose notices" page
(:mod:`web.comanagement.views.notices`) and by the assiduity's notice form, committee's
list and physician page.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import ngettext

from panelcare.comanagement import obligations
from web.comanagement.models import Post
from web.regions.models import Region

__all__ = [
    "VacantPost",
    "core_reference_day",
    "hiring_deadline",
    "post_vacancies",
    "vacancy",
    "vacant_posts_by_gmf",
    "vacant_posts_past_deadline",
]


@dataclass(frozen=True)
class VacantPost:
    """A post vacant past its hiring deadline during ``year``.

    Attributes:
        post: the post (its ``gmf`` loaded).
        deadline: its hiring deadline, the last day to fill it on time.
        days_vacant: the days of ``year`` it was vacant after ``deadline`` (at least 1).
        year: the calendar year counted.
    """

    post: Post
    deadline: datetime.date
    days_vacant: int
    year: int


def core_reference_day(post: Post) -> datetime.date:
    """The day the core's hiring deadline counts from (its ``opened_on``): the annual
    review's for a post it opened, the GMF's recognition for a post the recognition owes,
    whatever day that post was recorded (the deadline is the day before the GMF's first
    annual review: a post opened late is late at once)."""
    if post.opened_by == "recognition":
        return post.gmf.recognized_on
    return post.opened_on


def _core_post(post: Post) -> obligations.Post:
    return obligations.Post(
        id=str(post.pk),
        gmf=post.gmf.code,
        professional_type=post.professional_type,
        opened_by=post.opened_by,  # type: ignore[arg-type]  # the model's choices
        opened_on=core_reference_day(post),
        filled_on=post.filled_on,
    )


def hiring_deadline(post: Post) -> datetime.date:
    """``post``'s hiring deadline, the core's: the last day to fill it on time."""
    return obligations.hiring_deadline(_core_post(post))


def vacancy(post: Post, year: int, *, as_of: datetime.date | None = None) -> VacantPost | None:
    """``post``'s vacancy past its deadline in ``year``, or None when it has no such day
    (filled on time, opened later, closed before, a year to come).

    Args:
        as_of: the last day counted (default today): a day to come is not yet vacant.
    """
    # A post is not vacant before it exists (a recognition post recorded late has a
    # deadline before its opening).
    start = max(datetime.date(year, 1, 1), post.opened_on)
    end = datetime.date(year + 1, 1, 1)
    today = as_of if as_of is not None else timezone.localdate()
    end = min(end, today + datetime.timedelta(days=1))
    if post.closed_on is not None:
        end = min(end, post.closed_on)
    if end <= start:
        return None
    core = _core_post(post)
    days = obligations.vacant_days_past_deadline(core, start, end)
    if days <= 0:
        return None
    return VacantPost(post, obligations.hiring_deadline(core), days, year)


def _of_year(posts: QuerySet[Post], year: int) -> QuerySet[Post]:
    """The posts that may have been vacant during ``year``: opened before its end, not
    filled or closed before it starts (the core counts the days)."""
    start = datetime.date(year, 1, 1)
    return (
        posts.filter(opened_on__lt=datetime.date(year + 1, 1, 1))
        .filter(Q(filled_on__isnull=True) | Q(filled_on__gt=start))
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=start))
        .select_related("gmf")
        .order_by("gmf__code", "opened_on", "pk")
    )


def vacant_posts_past_deadline(
    region: Region, gmf_code: str, year: int, *, as_of: datetime.date | None = None
) -> list[VacantPost]:
    """The posts of the GMF ``gmf_code`` of ``region`` vacant past their hiring deadline
    during ``year``, with the deadline and the days (oldest post first); none for a GMF of
    another region or unknown."""
    if not gmf_code:
        return []
    posts = _of_year(Post.objects.filter(gmf__rls__region=region, gmf__code=gmf_code), year)
    found = (vacancy(post, year, as_of=as_of) for post in posts)
    return [item for item in found if item is not None]


def vacant_posts_by_gmf(
    region: Region, year: int, *, as_of: datetime.date | None = None
) -> dict[str, list[VacantPost]]:
    """:func:`vacant_posts_past_deadline` for every GMF of ``region`` at once (one query,
    for a list of physicians): GMF code -> its posts; a GMF without one is absent."""
    by_gmf: dict[str, list[VacantPost]] = defaultdict(list)
    for post in _of_year(Post.objects.filter(gmf__rls__region=region), year):
        item = vacancy(post, year, as_of=as_of)
        if item is not None:
            by_gmf[post.gmf.code].append(item)
    return dict(by_gmf)


def post_vacancies(post: Post, *, as_of: datetime.date | None = None) -> list[VacantPost]:
    """Every year ``post`` was vacant past its deadline, from the deadline's year to the
    year it was filled or closed (or today's), oldest first."""
    today = as_of if as_of is not None else timezone.localdate()
    deadline = hiring_deadline(post)
    ends = [day for day in (post.filled_on, post.closed_on, today) if day is not None]
    found = (vacancy(post, year, as_of=today) for year in range(deadline.year, min(ends).year + 1))
    return [item for item in found if item is not None]


def notice_justification(vacancy: VacantPost) -> str:
    """The justification a DRMG notice proposed from a vacant post starts with (the DRMG
    edits it): the hiring deadline, the post, its GMF and the days vacant past it in the
    year (EP 40, 15.01 B)."""
    from web.comanagement.reference import type_label

    post = vacancy.post
    return ngettext(
        "Post vacant after the hiring deadline of %(deadline)s — %(type)s, %(fte)s FTE, "
        "%(name)s: %(days)s day in %(year)s.",
        "Post vacant after the hiring deadline of %(deadline)s — %(type)s, %(fte)s FTE, "
        "%(name)s: %(days)s days in %(year)s.",
        vacancy.days_vacant,
    ) % {
        "deadline": formats.date_format(vacancy.deadline, "DATE_FORMAT"),
        "type": type_label(post.professional_type),
        "fte": formats.number_format(post.fte, 2),
        "name": post.gmf.name,
        "days": vacancy.days_vacant,
        "year": vacancy.year,
    }
