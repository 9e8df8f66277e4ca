"""The region's tables: versions of the imported extracts (the record), their imports and
exports, the kinds of table (declared once each in :mod:`web.tables.kinds`) and the
database projections some pages query. See ``docs/tables.md``."""
