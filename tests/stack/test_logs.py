"""stack.logs with a real child that never stops writing: its log is rotated under the supervisor, stays under
the cap, and the child keeps writing to the same file."""

import os
import sys
import threading

from stack.children import CommandChild
from stack.logs import LogRotation
from stack.processes import wait_until
from stack.supervisor import Supervisor

# About 2 KB every 10 ms: past a 32 KB cap within a fraction of a second.
CHATTY = "import time\nwhile True:\n    print('x' * 2000, flush=True)\n    time.sleep(0.01)"


def test_a_chatty_childs_log_is_rotated_and_stays_under_its_cap(tmp_path):
    """GIVEN a supervised child writing 200 KB/s to its log, rotation at 32 KB keeping 2 older files
    WHEN it has run for a while THEN the log was rotated (.1 and .2 exist, no .3), every file is at most the
    cap plus what one check interval brings, all of them together stay under (keep + 1) caps, and the child
    still writes to its log."""
    rotation = LogRotation(max_bytes=32 * 1024, keep=2)
    log = tmp_path / "chatty.log"
    chatty = CommandChild(name="chatty", command=lambda: [sys.executable, "-c", CHATTY], env=dict(os.environ),
                          log_path=log)  # fmt: skip
    sup = Supervisor(children=[chatty], rotation=rotation, rotate_every_s=0.05)
    sup.start_all()
    stopping = threading.Event()
    thread = threading.Thread(target=sup.run, args=(stopping,), kwargs={"poll_s": 0.02}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: log.with_name("chatty.log.2").exists(), timeout=20, what="two rotations")
        written = log.stat().st_size
        wait_until(lambda: log.stat().st_size != written, timeout=5, what="the child to write on")
    finally:
        stopping.set()
        thread.join(timeout=5)
        sup.stop_all()
    files = sorted(tmp_path.glob("chatty.log*"))
    assert [f.name for f in files] == ["chatty.log", "chatty.log.1", "chatty.log.2"]
    slack = 10 * 2001  # what the child writes between two checks (every 50 ms), and more
    sizes = [f.stat().st_size for f in files]
    assert all(size <= rotation.max_bytes + slack for size in sizes), sizes
    assert sum(sizes) <= (rotation.keep + 1) * (rotation.max_bytes + slack), sizes


def test_a_small_log_is_left_alone_and_a_missing_one_is_no_error(tmp_path):
    """GIVEN a log under the cap and a path with no log WHEN rotation is asked THEN neither changes."""
    rotation = LogRotation(max_bytes=1024, keep=3)
    small = tmp_path / "small.log"
    small.write_text("one line\n")

    assert rotation.rotate_if_large(small) is False
    assert rotation.rotate_if_large(tmp_path / "none.log") is False
    assert small.read_text() == "one line\n" and not small.with_name("small.log.1").exists()
