"""Demo streams (streams/demo.py): made on an empty database only and marked `demo`; removed in one go by the
service and by DELETE /api/streams/demo/, which an operator may call and a viewer may not."""

from pathlib import Path

import pytest

from streams import control, demo, services
from streams.control import Command
from streams.models import Stream, StreamEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def videos(settings, assets_dir: Path, dispatched) -> list[demo.DemoVideo]:
    settings.STREAM_MEDIA_DIRS = [assets_dir]
    return [
        demo.DemoVideo(name="Highway", video=assets_dir / "traffic_highway.mp4", max_fps=20.0),
        demo.DemoVideo(name="People", video=assets_dir / "one-by-one-person-detection.mp4", max_fps=5.0),
    ]


def test_demo_streams_are_made_marked_on_an_empty_database_only(videos, dispatched, django_capture_on_commit_callbacks):
    """GIVEN an empty database WHEN the demo streams are ensured THEN one per video, marked demo, at its rate,
    queued to run once committed; WHEN ensured again THEN nothing more is made."""
    with django_capture_on_commit_callbacks(execute=True):
        made = demo.demo_streams_ensure(videos=videos)
    assert [(s.name, s.max_fps, s.demo) for s in Stream.objects.order_by("pk")] == [
        ("Highway", 20.0, True), ("People", 5.0, True),
    ]  # fmt: skip
    assert sorted(stream_id for stream_id, _ in dispatched) == sorted(s.pk for s in made)
    assert demo.demo_streams_ensure(videos=videos) == [] and Stream.objects.count() == 2


def test_an_operators_stream_is_not_a_demo(settings, videos):
    """GIVEN a stream made by the service (as the API, the pages and the admin make them) THEN it is no demo."""
    stream = services.stream_create(name="Gate", source=str(videos[0].video), start=False)
    assert stream.demo is False and Stream.objects.get().demo is False


def test_removing_deletes_the_demo_streams_only_wakes_their_workers_and_logs_who(videos, monkeypatch):
    """GIVEN two demo streams and an operator's stream WHEN the demo streams are removed THEN the demos are
    gone, the operator's stays, each demo's worker is told to look again (it finds its stream gone and stops),
    and the event log keeps one entry naming them and who removed them; removing again removes nothing."""
    woken: list[tuple[int, Command]] = []
    monkeypatch.setattr(control, "send_command", lambda stream_id, command: woken.append((stream_id, command)))
    demos = demo.demo_streams_ensure(videos=videos)
    services.stream_create(name="Gate", source=str(videos[0].video), start=False)
    removed = demo.demo_streams_remove(actor="ops")
    assert removed == [s.name for s in demos]
    assert list(Stream.objects.values_list("name", flat=True)) == ["Gate"]
    assert set(woken) == {(s.pk, Command.SYNC) for s in demos}
    entry = StreamEvent.objects.get(stream=None)
    assert entry.actor == "ops" and entry.message == "demo streams removed: " + ", ".join(removed)
    assert demo.demo_streams_remove(actor="ops") == [] and StreamEvent.objects.filter(stream=None).count() == 1


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("operator", 200), ("admin", 200)])
def test_the_api_removes_the_demo_streams_for_an_operator_and_refuses_a_viewer(client, user_with_role, videos,
                                                                               role, status):  # fmt: skip
    """GIVEN the demo streams and an operator's stream WHEN DELETE /api/streams/demo/ is called by a viewer THEN
    403 with the role it needs and nothing goes; by an operator or an admin THEN 200 with the names removed, the
    operator's stream stays, and the list shows which streams are demos (none left)."""
    demos = demo.demo_streams_ensure(videos=videos)
    services.stream_create(name="Gate", source=str(videos[0].video), start=False)
    client.force_login(user_with_role(role))
    listed = client.get("/api/streams/").json()
    assert {s["name"]: s["demo"] for s in listed} == {**{s.name: True for s in demos}, "Gate": False}
    response = client.delete("/api/streams/demo/")
    assert response.status_code == status, response.content
    if status == 403:
        assert "operator" in response.json()["detail"] and Stream.objects.count() == 3
        return
    assert response.json() == {"removed": [s.name for s in demos]}
    assert [s["name"] for s in client.get("/api/streams/").json()] == ["Gate"]
