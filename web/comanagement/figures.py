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
or before it); *filled* the part of those filled on or before ``on``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from panelcare.comanagement import obligations
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


def review_rows(gmf: Gmf, on: datetime.date | None = None) -> list[dict[str, Any]]:
    """The GMF's annual reviews (newest first; up to ``on`` when given), each with its
    weighted patients and level (None below the first level)."""
    reviews = AnnualReview.objects.filter(gmf=gmf).select_related("level_table", "recorded_by")
    if on is not None:
        reviews = reviews.filter(reviewed_on__lte=on)
    rows = []
    for review in reviews.order_by("-reviewed_on"):
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


def _open_on(posts: Iterable[Post], on: datetime.date) -> list[Post]:
    return [
        post
        for post in posts
        if post.opened_on <= on and (post.closed_on is None or post.closed_on > on)
    ]


def fte_by_type(gmf: Gmf, on: datetime.date, posts: Iterable[Post] | None = None) -> list[FteRow]:
    """The GMF's FTE per professional type on ``on`` (the types of its entitlement and of
    its posts, in the programme's order; a type at 0 everywhere is left out)."""
    entitled = reference.entitlement(gmf, on)
    open_posts = _open_on(posts if posts is not None else Post.objects.filter(gmf=gmf), on)
    allocated: dict[str, Decimal] = {}
    filled: dict[str, Decimal] = {}
    for post in open_posts:
        allocated[post.professional_type] = allocated.get(post.professional_type, ZERO) + post.fte
        if post.filled_on is not None and post.filled_on <= on:
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
        vacant: open and not filled on ``on``.
        late: vacant after its deadline on ``on`` (« en retard »), or filled after it.
        days_vacant: the days of ``on``'s year it was vacant past its deadline, up to ``on``.
    """

    post: Post
    label: str
    deadline: datetime.date
    vacant: bool
    late: bool
    days_vacant: int


def post_row(post: Post, on: datetime.date) -> PostRow:
    """:class:`PostRow` of ``post`` on ``on``."""
    deadline = queries.hiring_deadline(post)
    closed = post.closed_on is not None and post.closed_on <= on
    filled = post.filled_on is not None and post.filled_on <= on
    vacant = not closed and not filled
    late = (vacant and on > deadline) or (filled and post.filled_on > deadline)  # type: ignore[operator]
    vacancy = queries.vacancy(post, on.year, as_of=on)
    return PostRow(
        post=post,
        label=reference.type_label(post.professional_type),
        deadline=deadline,
        vacant=vacant,
        late=late,
        days_vacant=vacancy.days_vacant if vacancy else 0,
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


def gmf_figures(gmf: Gmf, on: datetime.date) -> GmfFigures:
    """The stage, level, FTE per type and late posts of ``gmf`` on ``on``."""
    reviews = review_rows(gmf, on)
    posts = list(Post.objects.filter(gmf=gmf).select_related("gmf"))
    stage = gmf_stage(gmf, on, reviews)
    return GmfFigures(
        gmf=gmf,
        stage=stage,
        stage_label=str(STAGES[stage]),
        level=reviews[0]["level"] if reviews else None,
        review=reviews[0]["review"] if reviews else None,
        fte=fte_by_type(gmf, on, posts),
        late_posts=sum(
            1 for post in _open_on(posts, on) if (row := post_row(post, on)).vacant and row.late
        ),
    )


def gmf_rows(gmfs: Iterable[Gmf], on: datetime.date) -> list[GmfFigures]:
    """:func:`gmf_figures` of each GMF (the list's lines, in the given order)."""
    return [gmf_figures(gmf, on) for gmf in gmfs]


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
