"""Views of the attribution workflow: reports (being built)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
