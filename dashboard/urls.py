from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from accounts.roles import Role
from dashboard import metrics, views
from dashboard.access import PUBLIC, role_required
from dashboard.auth_views import ThrottledLoginView

urlpatterns = [
    path("", views.stream_list, name="stream-list"),
    path("system/", views.system, name="system"),
    # Prometheus scrapes the path as is (no trailing slash).
    path("metrics", metrics.metrics, name="metrics"),
    path("metrics/triton", metrics.triton_metrics, name="metrics-triton"),
    path("streams/new/", views.stream_create, name="stream-create"),
    path("streams/probe/", views.source_probe, name="source-probe"),
    path("streams/<int:pk>/", views.stream_detail, name="stream-detail"),
    path("streams/<int:pk>/tile/", views.stream_tile, name="stream-tile"),
    path("streams/<int:pk>/events/", views.stream_events, name="stream-events"),
    path("streams/<int:pk>/edit/", views.stream_edit, name="stream-edit"),
    path("streams/<int:pk>/settings/", views.stream_settings, name="stream-settings"),
    path("streams/<int:pk>/start/", views.stream_command, {"command": "start"}, name="stream-start"),
    path("streams/<int:pk>/stop/", views.stream_command, {"command": "stop"}, name="stream-stop"),
    path("streams/<int:pk>/pause/", views.stream_command, {"command": "pause"}, name="stream-pause"),
    path("streams/<int:pk>/resume/", views.stream_command, {"command": "resume"}, name="stream-resume"),
    path("streams/<int:pk>/restart/", views.stream_command, {"command": "restart"}, name="stream-restart"),
    path("streams/<int:pk>/delete/", views.stream_delete, name="stream-delete"),
    path("events/", include("dashboard.events_urls")),
    # Django's own account pages, each with its role (no password reset: the product sends no e-mail).
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", role_required(PUBLIC)(auth_views.LogoutView.as_view()), name="logout"),
    path("accounts/password_change/", role_required(Role.VIEWER)(auth_views.PasswordChangeView.as_view()),
         name="password_change"),
    path("accounts/password_change/done/", role_required(Role.VIEWER)(auth_views.PasswordChangeDoneView.as_view()),
         name="password_change_done"),
    path("admin/", admin.site.urls),
    # Namespaced: the API router's names ("stream-list", "stream-detail") would otherwise shadow the pages'.
    path("api/", include(("dashboard.api_urls", "api"), namespace="api")),
    # Last: any other /api/ path is an unknown endpoint, answered in JSON like the rest of the API.
    re_path(r"^api/", views.api_not_found, name="api-not-found"),
]
