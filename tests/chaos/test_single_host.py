"""`make run`'s product, one stream watched like a browser, each process killed with SIGKILL in turn, CHAOS_REPEATS
rounds in a row, on SQLite and on PostgreSQL: the launcher starts it again, frames reach the watcher again, one
pipeline per stream throughout, "running" is never shown for more than 5 s without frames, and no process logs a
locked database. Run with -s to see the recovery times measured."""

import os
import signal
import time
from pathlib import Path

import pytest

from stack.processes import wait_until
from streams import supervision
from tests.chaos.conftest import REPEATS, Product, WatchedStream, now, wait_for_frames
from tests.chaos.watchers import descendants, interleaved
from workers.hosting.lost import pid_alive

SHOWN_WITHOUT_FRAMES_LIMIT_S = 5.0


def _holder_pid(product: Product, stream_id: int) -> int:
    return int(product.stack.lease_holder(stream_id).split(":")[-2])


def _reconciled_since(product: Product, wall_time: float, killed_pid: int) -> bool:
    client = product.stack.redis()
    last = supervision.reconciler_last_pass(client=client)
    holder = supervision.beat_holder(client=client)
    return last is not None and last.at > wall_time and holder is not None and not holder[0].endswith(f":{killed_pid}")


def _triton_back(product: Product, stream_id: int, killed_pid: int) -> bool:
    try:
        pid = product.pid_of("triton")
    except AssertionError:
        return False
    return pid != killed_pid and product.stack.stream(stream_id)["status_reason"] == ""


def _kill(product: Product, watched: WatchedStream, process: str) -> tuple[int, float, float]:
    wait_for_frames(watched.watcher, since=now(), timeout=30)  # flowing now (a failed try may still be recovering)
    pid = _holder_pid(product, watched.stream_id) if process == "pool" else product.pid_of(process)
    watched.watcher.reset_worst()
    killed_wall, killed_at = time.time(), now()
    os.kill(pid, signal.SIGKILL)
    return pid, killed_wall, killed_at


def _recovered(product: Product, watched: WatchedStream, process: str, pid: int, wall: float, at: float) -> float:
    """Seconds from the kill until what the process did works again, as a watcher sees it."""
    limit = 30.0 if process == "valkey" else 15.0
    if process in ("beat", "control"):
        wait_until(lambda: _reconciled_since(product, wall, pid), timeout=limit, interval=0.05, what="a reconcile pass")
        return now() - at
    if process == "triton":
        wait_until(lambda: _triton_back(product, watched.stream_id, pid), timeout=limit, interval=0.1,
                   what="Triton back and inference answering")  # fmt: skip
        return now() - at
    if process in ("pool", "worker"):
        old = f":{pid}:"
        wait_until(lambda: any(old not in o for o in watched.origins.origins_since(at)), timeout=limit,
                   interval=0.05, what="metrics from a new pipeline")  # fmt: skip
        since = next(t for t, _, o in list(watched.origins.seen) if t >= at and o and old not in o)
        return since - at + wait_for_frames(watched.watcher, since=since, timeout=limit)
    # web, valkey: the watcher's connection or its frames broke; the first frames after the process is back
    wait_until(lambda: _replaced(product, process, pid), timeout=limit, interval=0.05, what=f"a new {process}")
    back = now()
    return back - at + wait_for_frames(watched.watcher, since=back, timeout=limit - (back - at))


def _replaced(product: Product, process: str, pid: int) -> bool:
    try:
        return product.pid_of(process) != pid
    except AssertionError:
        return False


def test_metrics_scrape_shows_every_stream_metric_and_counters_rise(product, watched_stream):
    """GIVEN the product with a stream running WHEN Prometheus scrapes /metrics twice with its token
    THEN every per-stream metric carries the stream label, the frame and latency counters rise, and the
    worker, reconciler and process metrics are there."""
    from tests.chaos.scrape import assert_scrape_complete

    assert_scrape_complete(product, watched_stream.stream_id)


KINDS = ["pool", "worker", "beat", "control", "deliver", "web", "triton", "valkey", "control+beat, then pool",
         "control+beat, then worker"]
KILLS = [(kind, attempt) for attempt in range(1, REPEATS + 1) for kind in KINDS]
LOCKED = "database is locked"


def _log_sizes(product: Product) -> dict[Path, int]:
    return {path: path.stat().st_size for path in product.stack.log_dir.glob("*.log")}


def _logged_since(sizes: dict[Path, int], text: str) -> list[str]:
    """Lines containing `text` written to the logs after `sizes` were taken (a rotated log is read whole)."""
    found = []
    for path in sizes:
        with path.open("rb") as log:
            log.seek(sizes[path] if path.stat().st_size >= sizes[path] else 0)
            lines = log.read().decode(errors="replace").splitlines()
        found += [f"{path.name}: {line}" for line in lines if text in line]
    return found


def _kill_sequence(product: Product, watched: WatchedStream, kind: str) -> tuple[str, int, float, float]:
    """Kills what `kind` names; returns the process whose recovery is measured, its pid, and the kill's times."""
    if ", then " not in kind:
        return (kind, *_kill(product, watched, kind))
    first, last = kind.split(", then ")
    wait_for_frames(watched.watcher, since=now(), timeout=30)
    for process in first.split("+"):
        os.kill(product.pid_of(process), signal.SIGKILL)
    return (last, *_kill(product, watched, last))


@pytest.mark.parametrize(("kind", "attempt"), KILLS, ids=[f"{kind}-{attempt}" for kind, attempt in KILLS])
def test_a_killed_process_is_replaced_and_the_stream_keeps_its_promises(product, watched_stream, chaos_record,
                                                                         kind, attempt):  # fmt: skip
    """GIVEN a running stream watched over a WebSocket WHEN one process of the product is killed with SIGKILL
    (or the reconciler's two processes together and then the stream's pool or worker), again and again in one
    run THEN the launcher starts it again, what it did works again within 15 s (30 s for Valkey) with frames
    reaching the watcher, no two pipelines ever published for the stream, the page never showed "running" for
    more than 5 s without a frame, and no process logged a locked database."""
    sizes = _log_sizes(product)
    try:
        process, pid, wall, at = _kill_sequence(product, watched_stream, kind)
        recovery = _recovered(product, watched_stream, process, pid, wall, at)
        wait_for_frames(watched_stream.watcher, since=now(), timeout=15)
        print(f"\n[{product.database}] kill -9 {kind} (pid {pid}), try {attempt}: recovered in {recovery:.2f} s; "
              f"longest 'running' without frames {watched_stream.watcher.worst_gap_s:.2f} s")  # fmt: skip
        assert interleaved(watched_stream.origins.origins_since(0)) == []
        assert watched_stream.watcher.worst_gap_s <= SHOWN_WITHOUT_FRAMES_LIMIT_S, watched_stream.watcher.statuses[-6:]
        assert _logged_since(sizes, LOCKED) == []
    except BaseException as error:
        chaos_record.failed(product.database, kind, attempt, error, product.stack.log_dir)
        raise
    chaos_record.recovered(product.database, kind, recovery)


def test_ctrl_c_stops_everything_and_leaves_no_process(product, watched_stream):
    """GIVEN the product after all those kills WHEN the launcher gets Ctrl-C (SIGINT) THEN it exits 0 within
    60 s and none of the processes it started (or theirs) is left."""
    watched_stream.watcher.stop()
    watched_stream.origins.stop()
    tree = descendants(product.launcher.pid)
    assert tree, "the launcher has no children"

    product.launcher.send_signal(signal.SIGINT)

    assert product.launcher.wait(timeout=60) == 0
    wait_until(lambda: not [pid for pid in tree if pid_alive(pid)], timeout=10, what="every child to be gone")
