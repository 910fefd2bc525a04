from django.contrib import admin
from django.urls import include, path

from dashboard import views

urlpatterns = [
    path("", views.stream_list, name="stream-list"),
    path("system/", views.system, name="system"),
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
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # Namespaced: the API router's names ("stream-list", "stream-detail") would otherwise shadow the pages'.
    path("api/", include(("dashboard.api_urls", "api"), namespace="api")),
]
