"""The admin follows the roles (issue 13, finding 3): a viewer sees, an operator commands and tunes live settings,
an admin does everything; models imported into the catalog are an admin's too."""

import pytest
from django.contrib.auth.models import Group

from streams import reconciler, services
from streams.models import Stream
from tests.adminforms import admin_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, django_user_model, monkeypatch):
    """A client logged in as a staff user of the given role."""
    monkeypatch.setattr(reconciler, "dispatch_stream", lambda stream_id, queue: None)

    def login(role: str):
        user = django_user_model.objects.create_user(f"staff-{role}", password="pw-123456", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return client

    return login


@pytest.fixture
def stream(clip) -> Stream:
    return services.stream_create(name="cam", source="rtsp://u:s3cret@10.0.0.9/live", start=False)


def test_a_viewer_sees_streams_and_users_in_the_admin_but_changes_nothing(staff, stream):
    """GIVEN a viewer WHEN it opens the admin THEN it sees the streams (no password), the users and the models;
    it gets no add page, its saves are refused, and a start action sent anyway changes nothing."""
    viewer = staff("viewer")
    for page in ("/admin/streams/stream/", "/admin/auth/user/", "/admin/catalog/inferencemodel/",
                 f"/admin/streams/stream/{stream.pk}/change/"):
        response = viewer.get(page)
        assert response.status_code == 200, page
        assert "s3cret" not in response.content.decode()
    assert viewer.get("/admin/streams/stream/add/").status_code == 403
    assert viewer.post(f"/admin/streams/stream/{stream.pk}/change/", {"name": "x"}).status_code == 403
    viewer.post("/admin/streams/stream/", {"action": "start_selected", "_selected_action": [stream.pk]})
    assert Stream.objects.get(pk=stream.pk).desired_state == "stopped"
    assert viewer.get("/admin/catalog/inferencemodel/import/").status_code == 403


def test_an_operator_commands_and_tunes_but_cannot_rename_add_or_delete(staff, stream):
    """GIVEN an operator WHEN it starts a stream from the admin list and saves its change form with a new max
    FPS and a new name THEN the stream runs and takes the max FPS, its name and source stay (read-only for an
    operator, the source shown redacted); adding and deleting are refused."""
    operator = staff("operator")
    operator.post("/admin/streams/stream/", {"action": "start_selected", "_selected_action": [stream.pk]})
    assert Stream.objects.get(pk=stream.pk).desired_state == "running"
    page = operator.get(f"/admin/streams/stream/{stream.pk}/change/")
    assert "s3cret" not in page.content.decode() and "rtsp://u:***@10.0.0.9/live" in page.content.decode()
    assert set(page.context["adminform"].form.fields) == {"max_fps", "confidence", "classes"}
    saved = operator.post(f"/admin/streams/stream/{stream.pk}/change/", admin_form_data(page, max_fps="3", name="x"))
    assert saved.status_code == 302
    stream.refresh_from_db()
    assert (stream.name, stream.max_fps, stream.source) == ("cam", 3.0, "rtsp://u:s3cret@10.0.0.9/live")
    assert operator.get("/admin/streams/stream/add/").status_code == 403
    assert operator.post(f"/admin/streams/stream/{stream.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Stream.objects.filter(pk=stream.pk).exists()


def test_an_admin_role_adds_streams_and_imports_models(staff, clip):
    """GIVEN a user in the admin role (not a superuser) WHEN it adds a stream in the admin THEN it is stored;
    the model import page opens."""
    admin = staff("admin")
    form = {"name": "Gate", "source": clip, "confidence": "0.4", "classes": "",
            **{f"events-{key}": "0" for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")}}
    assert admin.post("/admin/streams/stream/add/", form).status_code == 302
    assert Stream.objects.filter(name="Gate").exists()
    assert admin.get("/admin/catalog/inferencemodel/import/").status_code == 200
