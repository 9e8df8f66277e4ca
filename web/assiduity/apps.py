from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssiduityConfig(AppConfig):
    """The assiduity rates of the region's physicians, computed on the imported tables."""

    name = "web.assiduity"
    label = "assiduity"
    verbose_name = _("Assiduity rate")
