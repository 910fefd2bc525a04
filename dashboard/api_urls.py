from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from dashboard import analytics_api
from dashboard.api import StreamViewSet, WorkerViewSet

router = DefaultRouter(trailing_slash=True)
router.register("streams", StreamViewSet, basename="stream")
router.register("workers", WorkerViewSet, basename="worker")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Scripts trade a username and password for a token, then send "Authorization: Token <key>".
    path("token/", obtain_auth_token, name="token"),
    *analytics_api.urlpatterns,  # zones, lines, counts of a stream
    *router.urls,
]
