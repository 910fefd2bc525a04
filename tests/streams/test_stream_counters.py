"""streams.stream_counters: what pipelines count reaches Redis as totals that only grow."""

from streams import stream_counters
from streams.stream_counters import CounterDeltas


def test_deltas_add_up_into_totals_and_a_cumulative_latency_histogram():
    """GIVEN two reports of one stream (frames, a drop, an error, latencies) WHEN the totals are read THEN the
    counters are the sums, the histogram buckets are cumulative and end with +Inf, and the sum is right."""
    first, second = CounterDeltas(frames=10, inference_errors=1), CounterDeltas(frames=5, dropped_frames=2)
    for seconds in (0.004, 0.03, 0.03, 9.0):
        first.observe_latency(seconds)
    second.observe_latency(0.2)
    second.reconnects = 1

    stream_counters.counters_add(stream_id=501, deltas=first)
    stream_counters.counters_add(stream_id=501, deltas=second)
    totals = stream_counters.counters_read(stream_ids=[501, 502])

    assert totals[501].totals == {"frames": 15, "dropped_frames": 2, "inference_errors": 1, "reconnects": 1}
    buckets = dict(totals[501].latency_buckets)
    assert buckets[0.005] == 1 and buckets[0.05] == 3 and buckets[0.2] == 4 and buckets[5.0] == 4
    assert buckets[float("inf")] == 5
    assert abs(totals[501].latency_sum_s - 9.264) < 1e-6
    assert totals[502].totals["frames"] == 0 and totals[502].latency_buckets[-1] == (float("inf"), 0)
