from django.contrib import admin
from django.urls import include, path

from dashboard import views

urlpatterns = [
    path("", views.stream_list, name="stream-list"),
    path("streams/new/", views.stream_create, name="stream-create"),
    path("streams/<int:pk>/", views.stream_detail, name="stream-detail"),
    path("streams/<int:pk>/edit/", views.stream_edit, name="stream-edit"),
    path("streams/<int:pk>/start/", views.stream_start, name="stream-start"),
    path("streams/<int:pk>/stop/", views.stream_stop, name="stream-stop"),
    path("streams/<int:pk>/delete/", views.stream_delete, name="stream-delete"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # Namespaced: the API router's names ("stream-list", "stream-detail") would otherwise shadow the pages'.
    path("api/", include(("dashboard.api_urls", "api"), namespace="api")),
]
