"""The Celery app of the workers.

Stream workers:  celery -A workers.celery worker -Q streams[,gpu] --concurrency N -n streams@HOST
Reconciler:      celery -A workers.celery worker -Q control --pool solo   (one or more control hosts)
                 celery -A workers.celery beat -S workers.hosting.beat:LeasedScheduler  (one per control host)
`python -m stack ROLE` starts these with the right options (stack/commands.py).
"""

import gc
import logging
import os
import threading

from billiard.exceptions import WorkerLostError
from celery import Celery
from celery.signals import task_failure, worker_init, worker_process_init, worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Before numpy loads (pool processes import it after the fork): one OpenMP/BLAS thread per pool process, as
# workers.hosting.process does for OpenCV; a pool of one process per stream already fills the cores.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

logger = logging.getLogger(__name__)

app = Celery("workers", include=["workers.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")

_heartbeat = None
_node = ""  # this stream worker node's name, once it is ready


@worker_init.connect
def _prepare_main_process(sender: object = None, **_: object) -> None:
    """The main process needs Django for its registry heartbeat; it never imports tritonclient."""
    import django

    django.setup()
    from workers.hosting.lost import release_dead_holders

    # Started again after its main process was killed: its old pool processes died with it. Their leases go
    # now, before the pool starts, rather than after their TTL. (A control worker holds no lease: a no-op.)
    node = getattr(sender, "hostname", "")
    try:
        if node:
            release_dead_holders(node=node)
    except Exception as error:  # noqa: BLE001 - the TTL frees them anyway; the worker must start
        logger.warning("Could not release the leases of %s's dead processes: %s", node, error)
    if _runs_streams(sender):
        preload_frame_path()


def _runs_streams(worker: object) -> bool:
    from django.conf import settings

    queues = set(worker.app.amqp.queues.consume_from)  # type: ignore[attr-defined]
    return bool(queues - {settings.CONTROL_QUEUE})


def preload_frame_path() -> None:
    """In a stream worker's main process, before the pool forks: the frame path's libraries (OpenCV,
    supervision with SciPy, streamvision, trackers, our stages) are imported once here, so that the pool's
    processes share those pages instead of each importing a private copy when its first stream starts.
    tritonclient stays out (it must not be imported before a fork): each process imports it with its detector."""
    from workers.hosting.process import configure_stream_runtime

    configure_stream_runtime()  # streamvision's options freeze at first import; the pool's own call is a no-op
    import streamvision.stream.pipeline  # noqa: F401
    import supervision  # noqa: F401

    # workers.tasks is already imported: Celery imports `include` before it sends worker_init.
    import workers.framepath.build  # noqa: F401

    # Objects that outlive the fork are left alone by the pool processes' collectors, which would otherwise
    # write to (and so copy) every shared page they hold.
    gc.freeze()


@worker_process_init.connect
def _prepare_pool_process(**_: object) -> None:
    """Runs in every pool process after the fork, before any task: nothing heavy is imported pre-fork
    (tritonclient must not be imported before a fork), and streamvision's options freeze at first import."""
    import django

    django.setup()
    from workers.hosting.parent_death import set_parent_death_signal
    from workers.hosting.process import configure_stream_runtime

    # A pool process must not outlive its worker, even if the worker is killed with SIGKILL.
    set_parent_death_signal()
    configure_stream_runtime()


@worker_ready.connect
def _register_worker(sender: object, **_: object) -> None:
    from django.conf import settings

    from workers.hosting.registry import WorkerHeartbeat

    global _heartbeat, _node
    queues = sorted(queue.name for queue in sender.task_consumer.queues)  # type: ignore[attr-defined]
    if set(queues) <= {settings.CONTROL_QUEUE}:
        return  # the reconciler's worker runs no streams
    capacity = int(sender.controller.concurrency or 1)  # type: ignore[attr-defined]
    _node = sender.hostname  # type: ignore[attr-defined]
    _heartbeat = WorkerHeartbeat.init(name=_node, queues=queues, capacity=capacity)
    _heartbeat.start()
    logger.info("Worker %s registered: queues %s, capacity %s", _node, queues, capacity)


@task_failure.connect
def _pool_process_lost(exception: BaseException | None = None, **_: object) -> None:
    """In the main process, when a pool process died under its task (killed, out of memory): its stream's lease
    is let go of at once, so the stream runs again in a moment rather than after the lease's TTL."""
    if isinstance(exception, WorkerLostError) and _node:
        _release_dead_holders_soon()


def _release_dead_holders_soon() -> None:
    from workers.hosting.lost import release_dead_holders

    # Off the main process's event loop: it does database and Redis round trips.
    threading.Thread(target=release_dead_holders, kwargs={"node": _node}, name="lost-leases", daemon=True).start()


@worker_shutdown.connect
def _unregister_worker(**_: object) -> None:
    if _heartbeat is not None:
        _heartbeat.stop()
