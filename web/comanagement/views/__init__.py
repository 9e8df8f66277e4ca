"""The views of co-management, one module per feature (routes: ``web/comanagement/urls.py``,
map: docs/comanagement.md)."""
