"""The system page's reconciler and process cards, and /metrics' access rule and content, through Django's
test client against the real database and the embedded Valkey."""

import time

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from streams import services, stream_counters, supervision
from streams.control import redis_client
from streams.stream_counters import CounterDeltas

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_reports():
    """Each test starts with no pass, beat claim or launcher report (the keys are shared by the session)."""
    client = redis_client()
    client.delete(supervision.LAST_PASS_KEY, supervision.BEAT_HOLDER_KEY, supervision.HOSTS_KEY)
    yield


def test_reconciler_card_is_green_after_a_recent_pass_and_red_when_stale(admin_client):
    """GIVEN a pass a second ago and a beat holding the lock WHEN the system page is read THEN the reconciler is
    ok, with the pass's worker and the lock's holder; GIVEN the last pass a minute ago THEN it is red, stale."""
    supervision.reconciler_pass_record(by="control@h1:42", acted=0, took_s=0.002)
    supervision.beat_holder_record(holder="beat@h1:43", ttl_s=5)
    fresh = admin_client.get(reverse("system") + "?fragment=1").content.decode()

    redis_client().set(supervision.LAST_PASS_KEY, '{"at": %f, "by": "control@h1:42", "acted": 0, "took_s": 0.1}'
                       % (time.time() - 60))  # fmt: skip
    stale = admin_client.get(reverse("system") + "?fragment=1").content.decode()

    assert 'data-part="reconciler" data-ok="true"' in fresh
    assert "control@h1:42" in fresh and "beat@h1:43" in fresh
    assert 'data-part="reconciler" data-ok="false"' in stale and "stale: no pass for 60 s" in stale


def test_process_card_shows_a_failing_child_with_its_last_error(admin_client):
    """GIVEN a launcher whose web process keeps dying WHEN the system page is read THEN the processes card is
    red and shows that process as failing, with its exit and the end of its log."""
    children = [
        {"name": "worker", "pid": 10, "state": "running", "restarts": 0, "last_exit": None, "last_error": "",
         "exited_at": None},
        {"name": "web", "pid": None, "state": "failing", "restarts": 5, "last_exit": 1,
         "last_error": "OSError: [Errno 98] address already in use", "exited_at": time.time()},
    ]  # fmt: skip
    supervision.host_report(host="edge-1", roles=["worker", "web"], children=children)

    page = admin_client.get(reverse("system")).content.decode()

    assert 'data-part="processes" data-ok="false"' in page and "not running: edge-1/web" in page
    assert 'data-process="web" data-state="failing"' in page and "address already in use" in page


def test_metrics_are_refused_to_anyone_but_admins_and_the_scrape_token(client, admin_client, user_with_role,
                                                                       settings):  # fmt: skip
    """GIVEN a scrape token WHEN /metrics is asked anonymously, by a non-admin, with a wrong token, with the
    token and by an admin THEN 401, 403, 403, 200 and 200."""
    settings.METRICS_TOKEN = "s3cret-token"
    url = reverse("metrics")
    anonymous = client.get(url)
    wrong = client.get(url, HTTP_AUTHORIZATION="Bearer nope")
    scraper = client.get(url, HTTP_AUTHORIZATION="Bearer s3cret-token")
    client.force_login(user_with_role("operator"))
    viewer = client.get(url)

    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("Bearer")
    assert (viewer.status_code, wrong.status_code, scraper.status_code) == (403, 403, 200)
    assert admin_client.get(url).status_code == 200
    assert client.get(reverse("metrics-triton")).status_code == 403


def test_metrics_carry_each_streams_counters_and_histogram(admin_client, settings, assets_dir):
    """GIVEN a stream whose pipeline reported frames and latencies WHEN /metrics is scraped THEN the counters and
    the latency histogram carry the stream's label, and its status is one-hot."""
    settings.STREAM_MEDIA_DIRS = [assets_dir]
    stream = services.stream_create(name="Highway", source=str(assets_dir / "traffic_highway.mp4"), start=False)
    stream_counters.counters_clear(stream_id=stream.pk)
    deltas = CounterDeltas(frames=7, dropped_frames=1)
    deltas.observe_latency(0.03)
    stream_counters.counters_add(stream_id=stream.pk, deltas=deltas)

    text = admin_client.get(reverse("metrics")).content.decode()

    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip
    labels = (("name", "Highway"), ("stream", str(stream.pk)))
    assert samples[("streamvision_stream_frames_total", labels)] == 7
    assert samples[("streamvision_stream_dropped_frames_total", labels)] == 1
    bucket = tuple(sorted((*labels, ("le", "0.05"))))
    assert samples[("streamvision_stream_inference_latency_seconds_bucket", bucket)] == 1
    status = {state: samples[("streamvision_stream_status", tuple(sorted((*labels, ("status", state)))))]
              for state in ("stopped", "running")}  # fmt: skip
    assert status == {"stopped": 1, "running": 0}
    assert ("streamvision_reconciler_lag_seconds", ()) in samples
