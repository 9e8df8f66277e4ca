"""Views of the attribution workflow: letters (being built)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
