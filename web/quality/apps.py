from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    """The physicians' quality-improvement groups: selection for the 5-year cycle,
    groups and invitations, the four activities, the group's Practice Improvement Plan,
    its review and the goals' run charts (docs/quality-groups.md)."""

    name = "web.quality"
    label = "quality"
    verbose_name = _("Quality improvement")
