"""The background work of the assiduity (``django_tasks``): computing a region's rates.
The task calls the services; with the immediate backend (the tests', a one-process demo)
it runs at once, in the request.
"""

from __future__ import annotations

from django_tasks import task

from web.assiduity import services

__all__ = ["compute_assiduity_run"]


@task()
def compute_assiduity_run(run_id: int) -> None:
    """Compute the queued assiduity run ``run_id``
    (:func:`web.assiduity.services.do_compute_assiduity_run`)."""
    services.do_compute_assiduity_run(run_id)
