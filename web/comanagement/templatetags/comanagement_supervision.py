"""``{% supervision_status placement as status %}``: a placement's supervision today, for
the partial ``comanagement/supervision/_placement_supervision.html``, which the placement
page includes with only ``placement`` in its context (the computation is
:func:`web.comanagement.supervision.supervision_status`)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from web.comanagement.models import Placement
from web.comanagement.supervision import SupervisionStatus
from web.comanagement.supervision import supervision_status as status_on

register = template.Library()


@register.simple_tag
def supervision_status(placement: Placement) -> SupervisionStatus:
    return status_on(placement, timezone.localdate())
