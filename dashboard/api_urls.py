from rest_framework.routers import DefaultRouter

from dashboard.api import StreamViewSet

router = DefaultRouter(trailing_slash=True)
router.register("streams", StreamViewSet, basename="stream")

urlpatterns = router.urls
