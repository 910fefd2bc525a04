from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from dashboard.api import StreamViewSet, WorkerViewSet
from dashboard.events_api import EventViewSet, RuleViewSet
from dashboard.webhooks_api import DeliveryViewSet, EndpointViewSet

router = DefaultRouter(trailing_slash=True)
router.register("streams", StreamViewSet, basename="stream")
router.register("workers", WorkerViewSet, basename="worker")
router.register("event-rules", RuleViewSet, basename="event-rule")
router.register("events", EventViewSet, basename="event")
router.register("webhooks", EndpointViewSet, basename="webhook")
router.register("deliveries", DeliveryViewSet, basename="delivery")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Scripts trade a username and password for a token, then send "Authorization: Token <key>".
    path("token/", obtain_auth_token, name="token"),
    *router.urls,
]
