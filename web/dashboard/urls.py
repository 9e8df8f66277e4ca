"""Routes of the dashboard, at the site's root (namespace ``dashboard``)."""

from django.urls import path

from web.dashboard.views import home, patients, rls

app_name = "dashboard"

urlpatterns = [
    path("", home.home, name="home"),
    path("rls/<str:code>/", rls.rls_detail, name="rls-detail"),
    path("rls/<str:code>/waitlist/", rls.rls_waitlist, name="rls-waitlist"),
    path("patients/<str:code>/", patients.patient_detail, name="patient-detail"),
]
