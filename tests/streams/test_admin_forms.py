"""Issue 13, finding 1: the admin saves. Add, change and delete through the real admin forms (posted as a
browser posts them), with the services' validation and event log, for every model the admin registers."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group

from streams import reconciler, services
from streams.models import Stream, StreamEvent, WorkerNode
from tests.adminforms import admin_form_data

pytestmark = pytest.mark.django_db

INLINE_EMPTY = {f"events-{key}": "0" for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")}


@pytest.fixture(autouse=True)
def no_dispatch(monkeypatch):
    monkeypatch.setattr(reconciler, "dispatch_stream", lambda stream_id, queue: None)


def test_admin_adds_a_stream_through_the_service(admin_client, clip):
    """GIVEN the admin's add form WHEN a stream is filled in and saved THEN it is stored (redirect, no error),
    starts as the service starts it, and its event log says who created it."""
    form = {"name": "Gate", "source": clip, "max_fps": "5", "confidence": "0.4", "classes": "car, truck",
            "model": "", "queue": "", **INLINE_EMPTY}
    response = admin_client.post("/admin/streams/stream/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    stream = Stream.objects.get(name="Gate")
    assert (stream.max_fps, stream.confidence, stream.classes) == (5.0, 0.4, ["car", "truck"])
    assert stream.desired_state == "running"
    assert StreamEvent.objects.filter(stream=stream, kind="command", message="created", actor="admin").exists()


def test_admin_add_form_refuses_bad_input_and_stores_nothing(admin_client):
    """GIVEN the add form WHEN saved with a source of "²" and a max FPS of 0 THEN the form shows both errors
    (200, not a server error) and no stream exists."""
    form = {"name": "Gate", "source": "²", "max_fps": "0", "confidence": "0.4", "classes": "", **INLINE_EMPTY}
    response = admin_client.post("/admin/streams/stream/add/", form)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "source" in errors and "max_fps" in errors
    assert not Stream.objects.exists()


def test_admin_saves_a_changed_stream_and_keeps_its_password(admin_client, clip):
    """GIVEN a stream with a camera password and some events WHEN its change form is saved with a new Max FPS
    THEN it is saved (redirect), through the service (a settings event by the admin), and the stored source
    keeps its password although the form showed it redacted."""
    stream = services.stream_create(name="cam", source="rtsp://u:s3cret@10.0.0.9/live", start=False)
    services.stream_start(stream=stream)
    page = admin_client.get(f"/admin/streams/stream/{stream.pk}/change/")
    assert "s3cret" not in page.content.decode()
    response = admin_client.post(f"/admin/streams/stream/{stream.pk}/change/", admin_form_data(page, max_fps="7.5"))
    assert response.status_code == 302, response.content.decode()[:2000]
    stream.refresh_from_db()
    assert stream.max_fps == 7.5 and stream.source == "rtsp://u:s3cret@10.0.0.9/live"
    assert StreamEvent.objects.filter(stream=stream, kind="config", actor="admin", message__contains="max_fps").exists()


def test_admin_deletes_a_stream_through_the_service(admin_client):
    """GIVEN a stream WHEN deleted from its admin delete page THEN it is gone."""
    stream = services.stream_create(name="cam", source="0", start=False)
    response = admin_client.post(f"/admin/streams/stream/{stream.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Stream.objects.filter(pk=stream.pk).exists()


def _one_of_each(admin_user) -> None:
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from catalog.models import InferenceModel

    services.stream_create(name="cam", source="0", start=False)
    WorkerNode.objects.create(name="w1@h", hostname="h", pid=1, queues=["streams"], capacity=2,
                              started_at=timezone.now(), heartbeat_at=timezone.now())
    InferenceModel.objects.create(name="yolo", input_height=320, input_width=320, class_names=["car"])
    Token.objects.create(user=admin_user)
    Group.objects.get_or_create(name="extra")


def test_every_admin_model_lists_adds_changes_and_deletes_without_a_server_error(admin_client, admin_user):
    """GIVEN one record of each model the admin registers (models added later are included: the admin's own
    registry is walked) WHEN its list, add page, change page, unchanged save and delete page are requested
    THEN none answers a server error, and an unchanged save is accepted."""
    _one_of_each(admin_user)
    for model, model_admin in admin.site._registry.items():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert admin_client.get(base).status_code == 200, base
        add = admin_client.get(base + "add/")
        assert add.status_code in (200, 403), base
        instance = model_admin.get_queryset(admin_client.request().wsgi_request).first()
        if instance is None:
            continue
        change = admin_client.get(f"{base}{instance.pk}/change/")
        assert change.status_code == 200, base
        saved = admin_client.post(f"{base}{instance.pk}/change/", admin_form_data(change))
        assert saved.status_code in (302, 403), (base, saved.content.decode()[:1500])
        assert admin_client.get(f"{base}{instance.pk}/delete/").status_code in (200, 403), base
