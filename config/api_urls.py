"""Every API path under /api/: each app's viewsets on one router, the analytics paths, the schema and the token."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from accounts.access import RolePermission
from accounts.roles import Role
from accounts.views import ThrottledTokenView
from analytics import api as analytics_api
from events.api.events import EventViewSet, RuleViewSet
from events.api.webhooks import DeliveryViewSet, EndpointViewSet
from outputs import api as outputs_api
from streams.api import StreamViewSet, WorkerViewSet


class ApiRootView(DefaultRouter.APIRootView):
    """The browsable list of endpoints at /api/."""

    method_roles = {"GET": Role.VIEWER}


router = DefaultRouter(trailing_slash=True)
router.APIRootView = ApiRootView
router.register("streams", StreamViewSet, basename="stream")
router.register("workers", WorkerViewSet, basename="worker")
router.register("event-rules", RuleViewSet, basename="event-rule")
router.register("events", EventViewSet, basename="event")
router.register("webhooks", EndpointViewSet, basename="webhook")
router.register("deliveries", DeliveryViewSet, basename="delivery")


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, for logged-in users only."""

    permission_classes = [RolePermission]
    method_roles = {"GET": Role.VIEWER}


urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    # Scripts trade a username and password for a token, then send "Authorization: Token <key>".
    path("token/", ThrottledTokenView.as_view(), name="token"),
    *analytics_api.urlpatterns,  # zones, lines, counts of a stream
    *outputs_api.urlpatterns,  # viewing tokens of a stream
    *router.urls,
]
