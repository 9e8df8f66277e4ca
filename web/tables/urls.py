"""Routes of the imports and exports of the region's tables, under /tables/ (namespace
``tables``)."""

from django.urls import path

from web.tables.views import imports

app_name = "tables"

urlpatterns = [
    path("imports/", imports.imports_page, name="imports"),
    path("imports/<int:pk>/", imports.import_detail, name="import-detail"),
    path("imports/<int:pk>/progress/", imports.import_progress, name="import-progress"),
    path("imports/<int:pk>/apply/", imports.import_apply, name="import-apply"),
    path("imports/<int:pk>/cancel/", imports.import_cancel, name="import-cancel"),
    path("<int:pk>/export/<str:fmt>/", imports.dataset_export, name="dataset-export"),
]
