"""From what a pipeline reports to the status its runner reports (workers/hosting/observe.py): plain values in, a
(status, reason) out."""

from dataclasses import replace

import pytest
from streamvision.camera.entities import StatusUpdate, UpdateSeverity

from workers.hosting.observe import Observed, PipelineState, PipelineWatch, observe

HEALTHY = PipelineState(
    source_down=False, source_error="", paused=False, frames_total=50, quiet_s=0.2,
    inference_failing=False, inference_error="",
)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, ("running", "")),
        ({"frames_total": 0, "quiet_s": 10.0}, ("starting", "")),
        ({"paused": True, "quiet_s": 60.0}, ("paused", "")),
        ({"quiet_s": 3.5}, ("reconnecting", "no frames for 4 s")),
        ({"quiet_s": 2.9}, ("running", "")),
        ({"source_down": True, "source_error": "connection refused"}, ("reconnecting", "connection refused")),
        ({"source_down": True, "paused": True}, ("reconnecting", "the source was lost; reconnecting")),
        ({"inference_failing": True, "inference_error": "timed out"}, ("running", "inference failing: timed out")),
    ],
)
def test_observe_maps_what_the_pipeline_reports_to_a_status(changes, expected):
    """GIVEN a pipeline state (healthy but for the given changes) and a 3 s stall limit WHEN observed THEN the
    status and reason are as listed: a lost source wins over everything, a pause over a quiet source, no frame
    yet is starting, quiet too long is reconnecting, a failing Triton still counts as running."""
    assert observe(replace(HEALTHY, **changes), stall_limit_s=3.0) == expected


def test_an_observation_compares_equal_to_the_plain_pair():
    """GIVEN an observation WHEN compared with a (status, reason) pair THEN it equals it, field by field."""
    observed = observe(HEALTHY, stall_limit_s=3.0)
    assert observed == Observed(status="running", reason="") == ("running", "")


def _update(event_type: str, severity: UpdateSeverity = UpdateSeverity.INFO, **payload) -> StatusUpdate:
    import datetime

    return StatusUpdate(
        timestamp=datetime.datetime.now(), severity=severity, event_type=event_type, payload=payload,
        context="test",
    )


def test_the_watch_sees_a_source_go_down_only_after_it_was_up_and_keeps_errors_redacted():
    """GIVEN a watch WHEN the source is initialising THEN it is not down; WHEN it ran and then errs THEN it is
    down with the error, password redacted; WHEN inference finishes THEN the watch says the pipeline ended."""
    watch = PipelineWatch()
    watch.on_status_update(_update("SOURCE_STATE_UPDATE", new_state="INITIALISING"))
    assert not watch.source_down
    watch.on_status_update(_update("SOURCE_STATE_UPDATE", new_state="RUNNING"))
    watch.on_status_update(_update("SOURCE_STATE_UPDATE", new_state="ERROR"))
    watch.on_status_update(_update("SOURCE_ERROR", UpdateSeverity.ERROR, error_message="rtsp://u:pw@cam/live"))
    assert watch.source_down
    assert watch.last_error == "rtsp://u:***@cam/live"
    assert not watch.ended.is_set()
    watch.on_status_update(_update("INFERENCE_THREAD_FINISHED"))
    assert watch.ended.is_set()
