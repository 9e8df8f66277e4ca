"""Co-management services: reference (docs/comanagement-plan.md, section 2)."""

from __future__ import annotations
