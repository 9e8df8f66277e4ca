from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComanagementConfig(AppConfig):
    """The co-management of the CISSS/CIUSSS professionals working in GMFs: posts,
    placements, absences, schedules, training, supervision, performance and the alerts of
    the obligations that slipped (docs/comanagement.md)."""

    name = "web.comanagement"
    label = "comanagement"
    verbose_name = _("Co-management")
