"""Co-management of CIUSSS professionals in GMFs (cogestion GMF-CIUSSS, issue 17): the GMF's
level and entitled resources (``levels``), the dated obligations of each side and their
alerts (``obligations``), the collective agreements' schedule rules (``schedules``) and
holidays (``holidays``), as pure functions.

Never imports Django and reads no file except the packaged reference data. The rules and
their boundaries are described in ``docs/comanagement-rules.md`` and
``docs/comanagement-schedules.md``.
"""

__all__: list[str] = []
