"""The figures of the GMF list, the GMF page and the post pages: where each GMF stands in
the programme, what it is entitled to against what the CISSS/CIUSSS allocated and filled,
and each post's hiring deadline.

Nothing here decides a rule: the level and entitlement are :mod:`web.comanagement.reference`'s
(the core's level table), the deadline and vacant days :mod:`web.comanagement.queries`'
(the core's :func:`~panelcare.comanagement.obligations.hiring_deadline` and
:func:`~panelcare.comanagement.obligations.vacant_days_past_deadline`).

**Stage** of a GMF on a day ``on`` (the GMF list's first column):

* ``new`` (« Nouveau GMF »): its first annual review is still to come: it was recognised
  on or after the last 1 April (:func:`~panelcare.comanagement.obligations.first_annual_review`
  is after ``on``). Its posts are owed by the recognition, due the day before that review.
* ``raised`` (« Niveau rehaussé »): its latest review is this programme year's (the last
  1 April on or before ``on``) and gave a higher level than the review before it; the
  posts of that raise are due within 3 months.
* ``steady`` (« Stable »): every other GMF (same or lower level, no review this year yet,
  or a first review with nothing to compare).

**FTE per type**: *entitled* is the entitlement of the latest review on or before ``on``;
*allocated* the FTE of the posts open on ``on`` (opened on or before it, not closed on
or before it); *filled* the part of those filled on or before ``on`` whose filling
placement has not ended by ``on``.

**A post whose placement ended** (the professional left) is vacant again from the
placement's end (« Vacant depuis le … (départ) »): :func:`vacated_on`. No alert follows
from it: no source gives a deadline to fill it again, so it is not « late » for that.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from panelcare.comanagement import levels, obligations
from web.comanagement import queries, reference
from web.comanagement.models import AnnualReview, Post
from web.regions.models import Gmf

__all__ = [
    "STAGES",
    "FteRow",
    "GmfFigures",
    "PostRow",
    "date_label",
    "fte_by_type",
    "fte_chart",
    "gmf_figures",
    "gmf_rows",
    "gmf_stage",
    "post_row",
    "post_rows",
    "programme_year_start",
    "review_rows",
    "vacated_on",
]

STAGES: dict[str, Any] = {
    "new": gettext_lazy("New GMF"),
    "raised": gettext_lazy("Level raised"),
    "steady": gettext_lazy("Steady"),
}

ZERO = Decimal("0.00")


def programme_year_start(on: datetime.date) -> datetime.date:
    """The last 1 April on or before ``on`` (the programme year's annual review)."""
    april = datetime.date(on.year, *obligations.ANNUAL_REVIEW)
    return april if april <= on else datetime.date(on.year - 1, *obligations.ANNUAL_REVIEW)


def review_rows(
    gmf: Gmf, on: datetime.date | None = None, reviews: Iterable[AnnualReview] | None = None
) -> list[dict[str, Any]]:
    """The GMF's annual reviews (newest first; up to ``on`` when given), each with its
    weighted patients and level (None below the first level).

    Args:
        reviews: the GMF's reviews already read (``level_table`` loaded), newest first.
    """
    if reviews is None:
        reviews = (
            AnnualReview.objects.filter(gmf=gmf)
            .select_related("level_table", "recorded_by")
            .order_by("-reviewed_on")
        )
    rows = []
    for review in reviews:
        if on is not None and review.reviewed_on > on:
            continue
        weighted, level = reference.review_level(review)
        rows.append({"review": review, "weighted": weighted, "level": level})
    return rows


def gmf_stage(gmf: Gmf, on: datetime.date, reviews: list[dict[str, Any]] | None = None) -> str:
    """``"new"``, ``"raised"`` or ``"steady"`` (see the module's docstring).

    Args:
        reviews: :func:`review_rows` of the GMF up to ``on`` when the caller has them.
    """
    if obligations.first_annual_review(gmf.recognized_on) > on:
        return "new"
    rows = reviews if reviews is not None else review_rows(gmf, on)
    rows = [row for row in rows if row["review"].reviewed_on <= on]
    if len(rows) >= 2 and rows[0]["review"].reviewed_on == programme_year_start(on):
        latest, before = rows[0]["level"], rows[1]["level"]
        if latest is not None and (before is None or latest > before):
            return "raised"
    return "steady"


@dataclass(frozen=True)
class FteRow:
    """One professional type of a GMF: FTE entitled, allocated (posts open) and filled."""

    type: str
    label: str
    entitled: Decimal
    allocated: Decimal
    filled: Decimal

    @property
    def missing(self) -> Decimal:
        """Entitled FTE not allocated yet (0 when the allocation covers it)."""
        return max(ZERO, self.entitled - self.allocated)

    @property
    def vacant(self) -> Decimal:
        """Allocated FTE not filled."""
        return max(ZERO, self.allocated - self.filled)


def vacated_on(post: Post, on: datetime.date) -> datetime.date | None:
    """The day ``post`` became vacant again because the placement filling it ended (its
    end, on or before ``on``), or None: not filled by a placement, or that placement runs
    on ``on``."""
    if post.filled_on is None or post.filled_on > on or post.placement_id is None:
        return None
    end = post.placement.end
    return end if end is not None and end <= on else None


def _filled_on_day(post: Post, on: datetime.date) -> bool:
    return post.filled_on is not None and post.filled_on <= on and vacated_on(post, on) is None


def _entitlement(gmf: Gmf, reviews: list[dict[str, Any]]) -> dict[str, Decimal]:
    """:func:`web.comanagement.reference.entitlement` from review rows already read
    (newest first, up to the day), so that a list of GMFs reads no review again."""
    if not reviews:
        return {}
    review, level = reviews[0]["review"], reviews[0]["level"]
    table = reference.level_table(review.level_table)
    kind = gmf.kind if gmf.kind in table.kinds else None
    fte = levels.entitled_fte(level, table, kind=kind)
    return {
        name: Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for name, value in fte.items()
    }


def _open_on(posts: Iterable[Post], on: datetime.date) -> list[Post]:
    return [
        post
        for post in posts
        if post.opened_on <= on and (post.closed_on is None or post.closed_on > on)
    ]


def fte_by_type(
    gmf: Gmf,
    on: datetime.date,
    posts: Iterable[Post] | None = None,
    entitled: dict[str, Decimal] | None = None,
) -> list[FteRow]:
    """The GMF's FTE per professional type on ``on`` (the types of its entitlement and of
    its posts, in the programme's order; a type at 0 everywhere is left out).

    Args:
        posts: the GMF's posts already read (``placement`` loaded).
        entitled: the GMF's entitlement on ``on`` when the caller has it.
    """
    if entitled is None:
        entitled = reference.entitlement(gmf, on)
    if posts is None:
        posts = Post.objects.filter(gmf=gmf).select_related("placement")
    open_posts = _open_on(posts, on)
    allocated: dict[str, Decimal] = {}
    filled: dict[str, Decimal] = {}
    for post in open_posts:
        allocated[post.professional_type] = allocated.get(post.professional_type, ZERO) + post.fte
        if _filled_on_day(post, on):
            filled[post.professional_type] = filled.get(post.professional_type, ZERO) + post.fte
    order = list(reference.PROFESSIONAL_TYPE_LABELS)
    types = sorted(
        set(entitled) | set(allocated),
        key=lambda code: (order.index(code) if code in order else len(order), code),
    )
    rows = [
        FteRow(
            type=code,
            label=reference.type_label(code),
            entitled=entitled.get(code, ZERO),
            allocated=allocated.get(code, ZERO),
            filled=filled.get(code, ZERO),
        )
        for code in types
    ]
    return [row for row in rows if row.entitled or row.allocated or row.filled]


@dataclass(frozen=True)
class PostRow:
    """A post as the pages show it.

    Attributes:
        deadline: its hiring deadline (the last day to fill it on time).
        vacant: open and not filled on ``on`` (never filled, or its placement ended).
        late: vacant after its deadline on ``on`` (« en retard »), or filled after it
            (a post vacant again after a departure is late only if it was filled late).
        vacated_on: the end of the placement that filled it, when it ended by ``on``.
        days_vacant: the days of ``on``'s year it was vacant past its deadline, up to ``on``.
    """

    post: Post
    label: str
    deadline: datetime.date
    vacant: bool
    late: bool
    days_vacant: int
    vacated_on: datetime.date | None = None

    @property
    def status(self) -> str:
        """The post's status in a sentence, for the posts pages."""
        post = self.post
        if post.closed_on is not None:
            return _("Closed on %(day)s") % {"day": date_format(post.closed_on, "DATE_FORMAT")}
        if self.vacated_on is not None:
            return _("Vacant since %(day)s (departure)") % {
                "day": date_format(self.vacated_on, "DATE_FORMAT")
            }
        if post.filled_on is not None:
            return _("Filled on %(day)s") % {"day": date_format(post.filled_on, "DATE_FORMAT")}
        return _("Vacant")


def post_row(post: Post, on: datetime.date) -> PostRow:
    """:class:`PostRow` of ``post`` on ``on``."""
    deadline = queries.hiring_deadline(post)
    closed = post.closed_on is not None and post.closed_on <= on
    vacated = vacated_on(post, on)
    was_filled = post.filled_on is not None and post.filled_on <= on
    vacant = not closed and (not was_filled or vacated is not None)
    late = (not was_filled and vacant and on > deadline) or (
        was_filled and post.filled_on > deadline  # type: ignore[operator]
    )
    vacancy = queries.vacancy(post, on.year, as_of=on)
    return PostRow(
        post=post,
        label=reference.type_label(post.professional_type),
        deadline=deadline,
        vacant=vacant,
        late=late,
        days_vacant=vacancy.days_vacant if vacancy else 0,
        vacated_on=None if closed else vacated,
    )


def post_rows(posts: Iterable[Post], on: datetime.date) -> list[PostRow]:
    """:func:`post_row` of each post (``gmf`` selected by the caller)."""
    return [post_row(post, on) for post in posts]


@dataclass
class GmfFigures:
    """A GMF's line of the list, and the head of its page."""

    gmf: Gmf
    stage: str
    stage_label: str
    level: int | None
    review: AnnualReview | None
    fte: list[FteRow] = field(default_factory=list)
    # Posts vacant past their hiring deadline on the day (« en retard »).
    late_posts: int = 0
    # The GMF's open alerts (every side's), set by the page from web.comanagement.alerts.
    open_alerts: int = 0

    @property
    def entitled(self) -> Decimal:
        return sum((row.entitled for row in self.fte), ZERO)

    @property
    def allocated(self) -> Decimal:
        return sum((row.allocated for row in self.fte), ZERO)

    @property
    def filled(self) -> Decimal:
        return sum((row.filled for row in self.fte), ZERO)


def gmf_figures(
    gmf: Gmf,
    on: datetime.date,
    *,
    reviews: Iterable[AnnualReview] | None = None,
    posts: Iterable[Post] | None = None,
) -> GmfFigures:
    """The stage, level, FTE per type and late posts of ``gmf`` on ``on``.

    Args:
        reviews: the GMF's reviews already read (``level_table`` loaded), newest first.
        posts: the GMF's posts already read (``gmf`` and ``placement`` loaded).
    """
    rows = review_rows(gmf, on, reviews)
    if posts is None:
        posts = Post.objects.filter(gmf=gmf).select_related("gmf", "placement")
    posts = list(posts)
    stage = gmf_stage(gmf, on, rows)
    return GmfFigures(
        gmf=gmf,
        stage=stage,
        stage_label=str(STAGES[stage]),
        level=rows[0]["level"] if rows else None,
        review=rows[0]["review"] if rows else None,
        fte=fte_by_type(gmf, on, posts, _entitlement(gmf, rows)),
        late_posts=sum(
            1 for post in _open_on(posts, on) if (row := post_row(post, on)).vacant and row.late
        ),
    )


def gmf_rows(gmfs: Iterable[Gmf], on: datetime.date) -> list[GmfFigures]:
    """:func:`gmf_figures` of each GMF (the list's lines, in the given order), their
    reviews and posts read at once (a number of queries that does not grow with the GMFs)."""
    reviews = Prefetch(
        "annual_reviews",
        queryset=AnnualReview.objects.filter(reviewed_on__lte=on)
        .select_related("level_table", "recorded_by")
        .order_by("-reviewed_on"),
        to_attr="figures_reviews",
    )
    posts = Prefetch(
        "posts", queryset=Post.objects.select_related("placement"), to_attr="figures_posts"
    )
    if isinstance(gmfs, QuerySet):
        listed = list(gmfs.prefetch_related(reviews, posts))
    else:
        listed = list(gmfs)
        prefetch_related_objects(listed, reviews, posts)
    return [
        gmf_figures(gmf, on, reviews=gmf.figures_reviews, posts=gmf.figures_posts) for gmf in listed
    ]


def fte_chart(rows: list[FteRow]) -> dict[str, Any]:
    """A grouped bar chart (Vega-Lite, Altair, as :mod:`web.assiduity.charts`): per
    professional type, the FTE entitled, allocated and filled."""
    import altair as alt

    from web.attribution.charts import localised

    measures = [
        ("entitled", _("Entitled")),
        ("allocated", _("Allocated")),
        ("filled", _("Filled")),
    ]
    data = [
        {"type": row.label, "measure": label, "fte": float(getattr(row, name))}
        for row in rows
        for name, label in measures
    ]
    chart = (
        alt.Chart(alt.NamedData(name="fte"))
        .mark_bar()
        .encode(
            x=alt.X("fte:Q", title=_("FTE")),
            y=alt.Y("type:N", title=_("Professional type"), sort=[row.label for row in rows]),
            yOffset=alt.YOffset("measure:N", sort=[label for _name, label in measures]),
            color=alt.Color(
                "measure:N",
                title="",
                sort=[label for _name, label in measures],
                scale=alt.Scale(range=["#9aa5b1", "#0b5a8c", "#1b7a3a"]),
            ),
            tooltip=[
                alt.Tooltip("type:N", title=_("Professional type")),
                alt.Tooltip("measure:N", title=""),
                alt.Tooltip("fte:Q", title=_("FTE"), format=".2f"),
            ],
        )
        .properties(width="container")
    )
    spec = chart.to_dict()
    spec.pop("$schema", None)
    spec["datasets"] = {"fte": data}
    return localised(spec)


def date_label(day: datetime.date) -> str:
    """A day as the user's language writes it (« 1 avril 2026 »), for choices' labels."""
    from django.utils.formats import date_format

    return date_format(day, "DATE_FORMAT")
