"""workers.hosting.lost: the leases of a node's dead processes are released at once; live holders are left alone."""

import os

import pytest

from streams import control
from streams.models import Stream
from workers.hosting.lost import holder_pid, pid_alive, release_dead_holders

pytestmark = pytest.mark.django_db


def test_holder_pids_are_read_only_for_this_node():
    assert holder_pid("streams@a:123:beef", "streams@a") == 123
    assert holder_pid("streams@b:123:beef", "streams@a") is None
    assert holder_pid("garbage", "streams@a") is None
    assert pid_alive(os.getpid()) and not pid_alive(2**22 + 1)


def test_only_the_dead_processes_leases_are_released_and_their_streams_started_again(monkeypatch, tmp_path, settings):
    """GIVEN three streams of node streams@a, one held by a live process, one by a dead one, and one whose lease
    the launcher released already, and a stream of another node held by a dead pid WHEN the node's dead holders
    are released THEN only the dead process's lease of this node goes, and the two streams of this node nobody
    holds are stepped at once (starting, a run task queued)."""
    from streams import reconciler, services

    settings.STREAM_MEDIA_DIRS = [tmp_path]
    (tmp_path / "c.mp4").write_bytes(b"x")
    queued = []
    monkeypatch.setattr(reconciler, "dispatch_stream", lambda stream_id, queue: queued.append(stream_id))
    streams = {}
    for name, worker, pid in (("live", "streams@a", os.getpid()), ("dead", "streams@a", 999_999_991),
                              ("other", "streams@b", 999_999_992), ("released", "streams@a", None)):  # fmt: skip
        stream = services.stream_create(name=name, source=str(tmp_path / "c.mp4"), start=False)
        Stream.objects.filter(pk=stream.pk).update(status="running", desired_state="running", worker=worker)
        control.release_dispatch(stream.pk)
        if pid is not None:
            control.acquire_lease(stream.pk, f"{worker}:{pid}:x", ttl_s=30)
        streams[name] = stream.pk

    try:
        with django_capture_on_commit():
            released = release_dead_holders(node="streams@a", alive=lambda pid: pid == os.getpid())
        holders = {name: control.lease_holder(pk) for name, pk in streams.items()}
    finally:
        for stream_id in streams.values():  # ids come back in the next test's database
            control.redis_client().delete(f"streamvision:stream:{stream_id}:lease")

    assert released == [streams["dead"], streams["released"]]
    assert holders["dead"] is None and holders["live"] and holders["other"]
    assert Stream.objects.get(pk=streams["dead"]).status == "starting"
    assert queued == [streams["dead"], streams["released"]]


def django_capture_on_commit():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)
