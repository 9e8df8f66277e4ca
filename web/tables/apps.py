from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TablesConfig(AppConfig):
    """The region's tables: versions of the imported extracts, their imports and exports."""

    name = "web.tables"
    label = "tables"
    verbose_name = _("Tables")
