"""stack.supervisor with real child processes: a dead child comes back after a backoff, one that keeps dying
is shown failing with the end of its log, and a stop leaves nothing behind."""

import logging
import os
import signal
import sys
import threading
from pathlib import Path

import pytest

from stack import supervisor
from stack.children import CommandChild
from stack.processes import wait_until
from stack.supervisor import Supervisor
from workers.hosting.lost import pid_alive


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(supervisor, "FIRST_DELAY_S", 0.05)


def child(tmp_path: Path, name: str, code: str) -> CommandChild:
    return CommandChild(name=name, command=lambda: [sys.executable, "-c", code], env=dict(os.environ),
                        log_path=tmp_path / f"{name}.log")  # fmt: skip


def running(sup: Supervisor) -> threading.Event:
    stopping = threading.Event()
    thread = threading.Thread(target=sup.run, args=(stopping,), kwargs={"poll_s": 0.02}, daemon=True)
    thread.start()
    return stopping


def test_a_killed_child_is_started_again_with_a_log_line(tmp_path, caplog):
    """GIVEN a supervised child that runs forever WHEN it is killed with SIGKILL THEN a new process takes its
    place, a warning names it and how it died, and the report counts one restart."""
    reports = []
    sup = Supervisor(children=[child(tmp_path, "sleeper", "import time; time.sleep(600)")], report=reports.append)
    sup.start_all()
    stopping = running(sup)
    try:
        first = sup.supervised[0].child.pid
        with caplog.at_level(logging.WARNING, logger="stack.supervisor"):
            os.kill(first, signal.SIGKILL)
            wait_until(lambda: sup.supervised[0].child.pid != first and sup.supervised[0].state == "running",
                       timeout=10, what="a new process")  # fmt: skip
        assert "sleeper exited (killed by signal 9)" in caplog.text
        wait_until(lambda: reports and reports[-1][0]["restarts"] == 1, timeout=5, what="the report")
    finally:
        stopping.set()
        sup.stop_all()
    assert not pid_alive(sup.supervised[0].child.pid)


def test_a_child_that_keeps_dying_is_shown_failing_with_its_last_error(tmp_path):
    """GIVEN a child that exits with an error at once, every time WHEN it is supervised THEN its restarts
    back off, it is shown failing after three quick deaths, with its exit code and the end of its output."""
    code = "import sys; print('cannot bind 127.0.0.1:8000: address in use', file=sys.stderr); sys.exit(3)"
    sup = Supervisor(children=[child(tmp_path, "broken", code)])
    sup.start_all()
    stopping = running(sup)
    delays = []
    original = sup._died

    def died(entry, **kwargs):
        original(entry, **kwargs)
        delays.append(entry.restart_at - sup.clock())

    sup._died = died
    try:
        wait_until(lambda: sup.supervised[0].state == "failing", timeout=10, what="the failing state")
        report = sup.supervised[0].report()
    finally:
        stopping.set()
        sup.stop_all()
    assert report["state"] == "failing" and report["last_exit"] == 3 and "address in use" in report["last_error"]
    assert len(delays) >= 2 and delays[1] > delays[0] * 1.5, delays


def test_stop_all_stops_children_last_started_first(tmp_path):
    """GIVEN two children WHEN the supervisor stops THEN both are gone and the last started went first."""
    stopped = []
    children = [child(tmp_path, name, "import time; time.sleep(600)") for name in ("first", "second")]
    for each in children:
        original = each.stop
        each.stop = lambda original=original, name=each.name: (stopped.append(name), original())
    sup = Supervisor(children=children)
    sup.start_all()

    sup.stop_all()

    assert stopped == ["second", "first"]
    assert not any(pid_alive(each.pid) for each in children)
