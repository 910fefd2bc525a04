"""The shared pages (the wall, a wall tile, the system page) and Prometheus' /metrics (included by config/urls.py)."""

from django.urls import path

from dashboard import metrics, views

urlpatterns = [
    path("", views.stream_list, name="stream-list"),
    path("streams/<int:pk>/tile/", views.stream_tile, name="stream-tile"),
    path("streams/demo/remove/", views.demo_remove, name="demo-remove"),
    path("system/", views.system, name="system"),
    # Prometheus scrapes the path as is (no trailing slash).
    path("metrics", metrics.metrics, name="metrics"),
    path("metrics/triton", metrics.triton_metrics, name="metrics-triton"),
]
