"""The outputs' paths under /streams/ (included by config/urls.py after streams.urls): what players fetch with a
viewing token, and the stream page's token controls."""

from django.urls import path

from outputs import pages, views

urlpatterns = [
    path("<int:pk>/mjpeg", views.stream_mjpeg, name="stream-mjpeg"),
    path("<int:pk>/snapshot.jpg", views.stream_snapshot, name="stream-snapshot"),
    path("<int:pk>/viewing-tokens/new/", pages.token_create, name="viewing-token-create"),
    path("<int:pk>/viewing-tokens/<int:token_id>/revoke/", pages.token_revoke, name="viewing-token-revoke"),
]
