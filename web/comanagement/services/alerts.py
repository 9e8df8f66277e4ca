"""Co-management services: alerts (docs/comanagement-plan.md, section 2)."""

from __future__ import annotations
