"""WebSocket viewers of a stream as a browser is one, for the tests and the fan-out benchmark: a well-behaved
viewer that acks each frame, viewers in a child process, and a client that never reads; plus a process's RSS."""

import asyncio
import base64
import json
import os
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import psutil

ACK = '{"type":"ack"}'


@dataclass
class ViewerStats:
    frames: int = 0
    frames_total: int = 0  # the stream's own count, from its latest metrics message
    metrics: int = 0
    seen: set[int] = field(default_factory=set)


async def viewer(url: str, headers: dict, stop: asyncio.Event, stats: ViewerStats) -> None:
    """A well-behaved browser: acks each frame as soon as it has it."""
    import websockets

    async with websockets.connect(url, additional_headers=headers, max_size=2**24) as ws:
        await ws.send(ACK)
        while not stop.is_set():
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            if isinstance(message, bytes):
                stats.frames += 1
                await ws.send(ACK)
            elif (payload := json.loads(message)).get("type") == "metrics":
                stats.metrics += 1
                stats.frames_total = payload["frames_total"]


def viewers_in_process(url: str, headers: dict, count: int, stop, results) -> None:  # noqa: ANN001 - mp Event, Queue
    """Entry of a child process: `count` viewers until `stop` is set, then their frame counts go on `results`.
    Keeps the viewers' receive work (and its memory traffic) out of a process whose CPU is being measured."""

    async def run() -> None:
        done = asyncio.Event()
        stats = [ViewerStats() for _ in range(count)]
        tasks = [asyncio.create_task(viewer(url, headers, done, s)) for s in stats]
        while not stop.is_set() and not any(task.done() for task in tasks):
            await asyncio.sleep(0.05)
        done.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        results.put([s.frames for s in stats])

    asyncio.run(run())


class StalledClient:
    """A client that opens the WebSocket, says it is ready once, and then never reads a byte (tiny receive
    buffer), like a browser tab frozen by the OS."""

    def __init__(self, url: str, headers: dict) -> None:
        parts = urlsplit(url)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect((parts.hostname, parts.port))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {parts.path}?{parts.query} HTTP/1.1", f"Host: {parts.netloc}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = self.sock.recv(1024)
        if b" 101 " not in answer.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"handshake refused: {answer[:80]!r}")
        self.sock.sendall(_masked_text_frame(ACK))

    def close(self) -> None:
        self.sock.close()


def _masked_text_frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20
