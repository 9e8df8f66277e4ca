from django.urls import path

from web.dashboard import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rls/<str:code>/", views.rls_detail, name="rls-detail"),
    path("rls/<str:code>/liste-attente/", views.rls_waitlist, name="rls-waitlist"),
    path("patients/<str:code>/", views.patient_detail, name="patient-detail"),
]
