"""The writes of the QI groups: one ``do_<verb>_<thing>(…, acting_user=…)`` per write, one
module per part (selection, groups, activities, plans, reference). Views import the
module they need (``from web.quality.services import groups``). Each service runs in one
transaction and records its :class:`~web.quality.models.QualityAction` in the audit trail.
"""
