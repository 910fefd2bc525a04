"""Every URL of the product: each app's pages and API under its own prefix, the admin, and the API's JSON 404."""

from django.contrib import admin
from django.urls import include, path, re_path

from accounts.access import PUBLIC, role_required
from core.api import api_not_found

urlpatterns = [
    path("", include("dashboard.urls")),
    path("streams/", include("streams.urls")),
    path("streams/", include("outputs.urls")),  # /streams/<id>/mjpeg, snapshot.jpg: players, with a viewing token
    path("events/", include("events.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    # Namespaced: the API router's names ("stream-list", "stream-detail") would otherwise shadow the pages'.
    path("api/", include(("config.api_urls", "api"), namespace="api")),
    # Last: any other /api/ path is an unknown endpoint, answered in JSON like the rest of the API.
    re_path(r"^api/", role_required(PUBLIC)(api_not_found), name="api-not-found"),
]
