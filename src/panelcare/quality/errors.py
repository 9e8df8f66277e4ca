"""Errors raised by the quality-improvement core (groupes d'amélioration de la qualité).

    PanelcareError
    └── QualityError              every error of this package
        ├── CreditsTableError     the credits reference data is ill-formed: also a
        │                         SettingsError (file and key)
        └── RuleRefused           a rule refuses an action or a record: also an InputError,
            │                     with ``code`` and ``params`` for the web app to translate
            ├── GroupRuleError    an invitation, a reply or a group's composition
            ├── CycleRuleError    a selection, a deferral or a completion of the cycle
            ├── PlanRuleError     a plan, a goal, a PDSA cycle, a submission or a review
            │   └── SubmissionRefused  some members have not completed the four
            │                          activities: ``missing`` says who and which
            └── RunChartError     a series that cannot be charted

Each is also a subclass of the project's :class:`~panelcare.errors.SettingsError` or
:class:`~panelcare.errors.InputError`, so the web app and the CLI handle them as they
handle the other engines' errors (a form error; exit status 2). ``code`` is always set on a
:class:`RuleRefused` (``group_full``, ``too_few_goals``...); docs/quality-rules.md lists them.
"""

from __future__ import annotations

from collections.abc import Mapping

from panelcare.errors import InputError, PanelcareError, SettingsError

__all__ = [
    "CreditsTableError",
    "CycleRuleError",
    "GroupRuleError",
    "PlanRuleError",
    "QualityError",
    "RuleRefused",
    "RunChartError",
    "SubmissionRefused",
]


class QualityError(PanelcareError):
    """Base class of every error the quality-improvement core raises on purpose."""


class CreditsTableError(QualityError, SettingsError):
    """The credits reference data is ill-formed.

    ``file`` is the TOML file, or ``None`` when the data came from memory (the web app's
    records); ``key`` the dotted key at fault (``activities.chart_review``).
    """


class RuleRefused(QualityError, InputError):
    """A rule refuses an action (an invitation to a full group, a submission too early) or
    a record (a goal without a target).

    ``code`` (always set) names the rule, ``params`` its values as strings; ``column``
    names the field at fault when there is one. The message is English, for logs and the
    CLI; the web app says it in French from ``code`` and ``params``.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        params: Mapping[str, str] | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message, code=code, params=dict(params or {}), column=column)
        self.code: str = code


class GroupRuleError(RuleRefused):
    """An invitation, a reply or a group's composition is refused."""


class CycleRuleError(RuleRefused):
    """A selection, a deferral or a completion of the five-year cycle is refused."""


class PlanRuleError(RuleRefused):
    """A Practice Improvement Plan, a goal, a PDSA cycle, a submission or a review is
    refused."""


class SubmissionRefused(PlanRuleError):
    """The plan cannot be submitted: some members have not completed the four activities.

    ``missing`` maps each such member to the activities they have not completed, in the
    activities' order (``{"p-2": ("chart_review",)}``).
    """

    def __init__(self, message: str, *, missing: Mapping[str, tuple[str, ...]]) -> None:
        super().__init__(
            message,
            code="members_incomplete",
            params={"members": ", ".join(sorted(missing))},
        )
        self.missing: dict[str, tuple[str, ...]] = dict(missing)


class RunChartError(RuleRefused):
    """A series cannot be charted (no point, a baseline longer than the series)."""
