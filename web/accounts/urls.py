"""Login and logout, under /comptes/."""

from django.contrib.auth import views as auth_views
from django.urls import path

urlpatterns = [
    path(
        "connexion/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    # Django's LogoutView only accepts POST, so a link or a prefetch cannot log anyone out.
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
]
