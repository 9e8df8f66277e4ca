"""Physicians' quality-improvement groups (groupes d'amélioration de la qualité, issue 18):
the group-size rule and invitations (``groups``), the five-year cycle, its deferral and the
credits earned (``cycle``), the Practice Improvement Plan, its goals, PDSA cycles,
submission and review (``plans``), and the run chart of a goal's measure with its signals
(``runcharts``), as pure functions.

Never imports Django and reads no file except the packaged reference data
(``credits.toml``). The rules, their sources and the boundary decisions are described in
``docs/quality-rules.md``.
"""

__all__: list[str] = []
