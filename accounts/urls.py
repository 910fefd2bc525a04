"""The account pages, under /accounts/: the throttled login, logout, password change (no password reset: the
product sends no e-mail). Included by config/urls.py."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.access import PUBLIC, role_required
from accounts.roles import Role
from accounts.views import ThrottledLoginView

urlpatterns = [
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", role_required(PUBLIC)(auth_views.LogoutView.as_view()), name="logout"),
    path("password_change/", role_required(Role.VIEWER)(auth_views.PasswordChangeView.as_view()),
         name="password_change"),
    path("password_change/done/", role_required(Role.VIEWER)(auth_views.PasswordChangeDoneView.as_view()),
         name="password_change_done"),
]
