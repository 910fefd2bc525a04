"""Helpers for tests that run the whole product as real processes."""

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

from core import redis_keys
from stack.processes import free_port, spawn, stop_process, wait_until

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class ApiResponse:
    status: int
    body: object


@dataclass
class LiveStack:
    """Daphne and a Celery worker on their own database, talking to the session's Valkey and Triton."""

    url: str
    env: dict[str, str]
    assets_dir: Path
    log_dir: Path
    admin_username: str = "admin"
    admin_password: str = "test-password-1"
    token: str = ""
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def ws_base(self) -> str:
        return self.url.replace("http://", "ws://")

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, check=True,
        )
        return result.stdout

    def api(self, method: str, path: str, data: dict | None = None, token: str | bool | None = None) -> ApiResponse:
        headers = {"Content-Type": "application/json"}
        if token is not False:
            headers["Authorization"] = f"Token {token or self.token}"
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return ApiResponse(response.status, json.loads(raw) if raw else None)
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return ApiResponse(error.code, json.loads(raw))
            except ValueError:
                return ApiResponse(error.code, raw.decode(errors="replace"))

    def stream(self, stream_id: int) -> dict:
        return self.api("GET", f"/api/streams/{stream_id}/").body

    def wait_for_status(self, stream_id: int, status: str, timeout: float) -> dict:
        try:
            wait_until(lambda: self.stream(stream_id)["status"] == status, timeout=timeout, interval=0.05,
                       what=f"stream {stream_id} to be {status}")
        except TimeoutError as error:
            raise TimeoutError(f"{error}; {self.describe(stream_id)}") from None
        return self.stream(stream_id)

    def describe(self, stream_id: int) -> str:
        """What a timeout message needs: the stream as the API shows it, its lease and its latest events."""
        stream = self.stream(stream_id)
        shown = {key: stream.get(key) for key in ("status", "status_reason", "desired_state", "worker")}
        events = self.api("GET", f"/api/streams/{stream_id}/events/").body or []
        latest = [f"{e.get('kind')}:{e.get('message')} ({e.get('actor')})" for e in events[:12]]
        return f"stream now {shown}, lease {self.lease_holder(stream_id)!r}, latest events {latest}"

    def session_cookie(self) -> str:
        """Log in through the login form, as a browser would; returns the Cookie header value."""
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(self.url + "/accounts/login/", timeout=10).read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"username": self.admin_username, "password": self.admin_password, "csrfmiddlewaretoken": csrf}
        ).encode()
        request = urllib.request.Request(self.url + "/accounts/login/", data=form, headers={"Referer": self.url + "/"})
        opener.open(request, timeout=10)
        return "; ".join(f"{c.name}={c.value}" for c in jar)

    def start_worker(self, name: str, concurrency: int, queues: list[str] | None = None) -> subprocess.Popen:
        """A stream worker node (prefork pool), registered as `name@<host>`."""
        from stack.commands import worker_command

        queues = queues or [self.env["STREAMS_QUEUE"]]
        command = worker_command(concurrency=concurrency, queues=queues, name=f"{name}@%h")
        proc = spawn(command, env=self.env, cwd=ROOT, log_path=self.log_dir / f"worker-{name}.log")
        self.procs[f"worker-{name}"] = proc
        return proc

    def lease_holder(self, stream_id: int) -> str | None:
        raw = self.redis().get(redis_keys.stream_key(stream_id, "lease"))
        return raw.decode() if raw else None

    def redis(self):  # noqa: ANN201 - redis.Redis
        import redis

        return redis.Redis.from_url(self.env["REDIS_URL"])

    def stop(self) -> None:
        import signal

        for name in [name for name in self.procs if name.startswith("worker")]:
            # A cold shutdown: the warm one waits for stream tasks, which never end by themselves.
            stop_process(self.procs.pop(name), sig=signal.SIGQUIT, timeout=10)
        for name in list(self.procs):
            stop_process(self.procs.pop(name), timeout=10)


@dataclass
class GroupWatcher:
    """Subscribes to a stream's channel-layer group, as a web consumer does, and records who sent what."""

    redis_url: str
    group: str
    seen: list[tuple[float, str, str]] = field(default_factory=list)  # (monotonic time, type, origin)
    messages: list[tuple[float, dict]] = field(default_factory=list)  # (monotonic time, the whole message)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> "GroupWatcher":
        ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._listen(ready)), daemon=True)
        self._thread.start()
        assert ready.wait(10), "could not subscribe to the channel layer"
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def origins_since(self, since: float) -> list[str]:
        return [origin for at, _, origin in list(self.seen) if at >= since and origin]

    async def _listen(self, ready: threading.Event) -> None:
        from channels_redis.core import RedisChannelLayer

        layer = RedisChannelLayer(hosts=[{"address": self.redis_url}], capacity=100, expiry=5)
        channel = await layer.new_channel()
        await layer.group_add(self.group, channel)
        joined_at = time.monotonic()
        ready.set()
        receiving = asyncio.ensure_future(layer.receive(channel))
        while not self._stop.is_set():
            if time.monotonic() - joined_at > 2.0:  # a restarted Redis forgot the membership
                with contextlib.suppress(Exception):
                    await layer.group_add(self.group, channel)
                joined_at = time.monotonic()
            # Never cancel a receive just to look at the stop flag: a cancelled receive can lose a message.
            done, _ = await asyncio.wait({receiving}, timeout=0.5)
            if not done:
                continue
            try:
                message = receiving.result()
            except Exception as error:  # noqa: BLE001 - keep listening; the test reports what went wrong
                self.errors.append(repr(error))
                await asyncio.sleep(0.2)  # Redis is down (a chaos test killed it): try again shortly
                receiving = asyncio.ensure_future(layer.receive(channel))
                continue
            self.seen.append((time.monotonic(), message.get("type", ""), message.get("origin", "")))
            self.messages.append((time.monotonic(), {k: v for k, v in message.items() if k != "jpeg"}))
            receiving = asyncio.ensure_future(layer.receive(channel))
        receiving.cancel()
        await layer.group_discard(self.group, channel)
        await layer.close_pools()


def start_live_stack(
    *, work_dir: Path, redis_url: str, triton_url: str, assets_dir: Path, workers: dict[str, int] | None = None
) -> LiveStack:
    """The product as real processes: Daphne, the reconciler (Celery beat + control worker) and one stream
    worker node per entry of `workers` (name -> pool size), on a fresh database and Redis database.

    LIVE_DATABASE_URL points it at an external database (CI's PostgreSQL pass), which is emptied first."""
    port = free_port()
    work_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        REDIS_URL=redis_url,
        TRITON_URL=triton_url,
        ASSETS_DIR=str(assets_dir),
        VAR_DIR=str(work_dir),
        DATABASE_URL=os.environ.get("LIVE_DATABASE_URL") or f"sqlite:///{work_dir / 'live.sqlite3'}",
        DEMO_STREAMS="0",
        DJANGO_SUPERUSER_USERNAME="admin",
        DJANGO_SUPERUSER_PASSWORD="test-password-1",
        WEB_PORT=str(port),
        STREAMS_QUEUE=f"streams-test-{port}",
        CONTROL_QUEUE=f"control-test-{port}",
    )
    stack = LiveStack(url=f"http://127.0.0.1:{port}", env=env, assets_dir=assets_dir, log_dir=work_dir)
    stack.redis().flushdb()  # its own Redis database number: leases and queues from an earlier run go
    if os.environ.get("LIVE_DATABASE_URL"):
        stack.manage("migrate", "--no-input")
        stack.manage("flush", "--no-input")
    stack.manage("bootstrap")
    stack.token = stack.manage("drf_create_token", "admin").split()[2]
    from stack.commands import beat_command, control_command, web_command

    for name, concurrency in ({"w1": 3} if workers is None else workers).items():
        stack.start_worker(name, concurrency)
    control = control_command(queue=env["CONTROL_QUEUE"])
    stack.procs["control"] = spawn(control, env=env, cwd=ROOT, log_path=work_dir / "control.log")
    stack.procs["beat"] = spawn(beat_command(), env=env, cwd=ROOT, log_path=work_dir / "beat.log")
    stack.procs["web"] = spawn(web_command(port=port), env=env, cwd=ROOT, log_path=work_dir / "web.log")
    deadline = time.monotonic() + 60
    wait_until(lambda: _answers(stack.url + "/accounts/login/"), timeout=deadline - time.monotonic(), what="daphne")
    return stack


RUNNING_LINE = "StreamVision is running"  # what the launcher prints once every role is up (stack/launcher.py)


def wait_for_launcher(launcher: subprocess.Popen, log_path: Path, *, timeout: float = 240) -> None:
    """Until `python -m stack` says it runs; raises with the end of its log if it exits first."""

    def running() -> bool:
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
        if launcher.poll() is not None:
            raise RuntimeError(f"python -m stack exited ({launcher.returncode}): {text[-3000:]}")
        return RUNNING_LINE in text

    wait_until(running, timeout=timeout, interval=0.2, what="the product (python -m stack)")


def run_async(coro):  # noqa: ANN001, ANN201 - any coroutine, its result
    """asyncio.run in a fresh thread: Playwright's sync API keeps an event loop running in the main thread."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
