"""Views of the attribution workflow: runs (being built)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from web.attribution import access


@login_required
def home(request: HttpRequest) -> HttpResponse:
    access.check_can_work(request.user)
    return render(
        request, "attribution/home.html", {"rls_list": access.attribution_rls(request.user)}
    )


urlpatterns: list[URLPattern] = [path("", home, name="home")]
