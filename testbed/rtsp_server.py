"""A real RTSP server for tests (GStreamer's gst-rtsp-server), run with Debian's /usr/bin/python3.

    /usr/bin/python3 testbed/rtsp_server.py --port 8554 [--file clip.mp4] [--width 320 --height 240 --fps 10]

Serves rtsp://127.0.0.1:PORT/live: a file looped (or a moving test pattern) encoded once into H.264 and shared
by every client. It prints "READY" when it listens; kill it to simulate a camera outage, start it again on
the same port to bring the camera back.
"""

import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def launch_line(args: argparse.Namespace) -> str:
    caps = f"video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1"
    if args.file:
        # multifilesrc loops the file forever; decode, scale and pace it like a live camera.
        source = (
            f'multifilesrc location="{args.file}" loop=true ! decodebin ! videoconvert ! videoscale '
            f"! videorate ! {caps} ! identity sync=true"
        )
    else:
        source = f"videotestsrc is-live=true pattern=ball ! {caps}"
    encoder = (
        f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={args.fps} bitrate=500 "
        "! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1"
    )
    return f"( {source} ! videoconvert ! {encoder} )"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", default="")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--fps", type=int, default=10)
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args))
    factory.set_shared(True)  # one encoder for every client, like a camera
    server.get_mount_points().add_factory("/live", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on port {args.port}", file=sys.stderr)
        return 1
    print("READY", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
