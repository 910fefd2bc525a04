from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from accounts.roles import Role
from dashboard import analytics_api
from dashboard.access import RolePermission
from dashboard.api import StreamViewSet, WorkerViewSet
from dashboard.auth_views import ThrottledTokenView
from dashboard.events_api import EventViewSet, RuleViewSet
from dashboard.webhooks_api import DeliveryViewSet, EndpointViewSet


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
    *router.urls,
]
