from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operating the server: backup and restore of the database and the data folder
    together, and the clean-up of files a crash left behind."""

    name = "web.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        # Uploads above FILE_UPLOAD_MAX_MEMORY_SIZE are spooled in FILE_UPLOAD_TEMP_DIR,
        # under the data folder (patient data never lands in the system's /tmp); Django
        # does not create the folder itself.
        temp_dir = getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)
        if temp_dir:
            Path(temp_dir).mkdir(parents=True, exist_ok=True)
