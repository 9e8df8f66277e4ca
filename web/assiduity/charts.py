"""Vega-Lite specifications (Altair) of the assiduity's pages, as in
:mod:`web.attribution.charts`: each function takes the figures a page already read and
returns a specification (a dict) the template embeds."""

from __future__ import annotations
