"""The views of the assiduity, one module per feature: the home page (:mod:`.home`: the
region's computations and the form to start one) and the runs (:mod:`.runs`: progress and
the rates table). Routes: ``web/assiduity/urls.py``.
"""
