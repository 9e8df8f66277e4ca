"""The views of the attribution workflow, one module per feature: the home page
(:mod:`.home`), the physicians' table and decisions (:mod:`.physicians`), the runs
(:mod:`.runs`), the letters (:mod:`.letters`), the follow-up and the quarterly tables
(:mod:`.reports`) and the history (:mod:`.history`). Routes: ``web/attribution/urls.py``.
"""
