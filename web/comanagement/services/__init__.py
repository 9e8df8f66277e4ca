"""The writes of co-management: one ``do_<verb>_<thing>(…, acting_user=…)`` per write, one
module per part (reference, programme, people, presence, training, supervision,
performance, alerts). Views import the module they need
(``from web.comanagement.services import presence``). Each service runs in one transaction
and records its :class:`~web.comanagement.models.ComanagementAction` in the audit trail.
"""
