"""The stream pages, under /streams/ (included by config/urls.py)."""

from django.urls import path

from streams import views

urlpatterns = [
    path("new/", views.stream_create, name="stream-create"),
    path("probe/", views.source_probe, name="source-probe"),
    path("<int:pk>/", views.stream_detail, name="stream-detail"),
    path("<int:pk>/events/", views.stream_events, name="stream-events"),
    path("<int:pk>/edit/", views.stream_edit, name="stream-edit"),
    path("<int:pk>/settings/", views.stream_settings, name="stream-settings"),
    path("<int:pk>/start/", views.stream_command, {"command": "start"}, name="stream-start"),
    path("<int:pk>/stop/", views.stream_command, {"command": "stop"}, name="stream-stop"),
    path("<int:pk>/pause/", views.stream_command, {"command": "pause"}, name="stream-pause"),
    path("<int:pk>/resume/", views.stream_command, {"command": "resume"}, name="stream-resume"),
    path("<int:pk>/restart/", views.stream_command, {"command": "restart"}, name="stream-restart"),
    path("<int:pk>/delete/", views.stream_delete, name="stream-delete"),
]
