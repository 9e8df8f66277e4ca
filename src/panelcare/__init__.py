"""panelcare core: the Django-free engines (attribution, assiduity, geography, synthetic data).

Nothing under this package imports Django; the web application in ``web/`` and the CLI in
``panelcare.cli`` call into it.
"""

__version__ = "0.1.0"
