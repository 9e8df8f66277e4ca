"""Views of the attribution workflow: imports (being built)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
