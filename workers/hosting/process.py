"""Process-wide set-up of the video runtime, done once per worker process before streamvision is imported."""

import os

from django.conf import settings


def configure_stream_runtime() -> None:
    # OpenCV reads this at each open; setting it at all drops its TCP default, so settings keep rtsp_transport.
    os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = settings.SOURCE_FFMPEG_OPTIONS
    _one_thread_each()
    from streamvision.stream.configuration import StreamsConfiguration, configure_process

    configure_process(
        StreamsConfiguration(
            # Our file sources pace themselves like live cameras, so drop rather than queue frames.
            default_buffer_size=8,
            restart_attempt_delay=1,
            disable_gstreamer_video_sources=True,
            predictions_queue_size=4,
            predictions_queue_size_explicit=True,
            # A full buffer is the only reason to drop a frame. The default estimates drops from the source's
            # announced fps against the measured grab pace; once the cores are busy (8 streams on 2) grabbing
            # falls behind 29.8 fps, and it then drops 16 frames in a row, whatever the consumer could take.
            default_adaptive_mode_backpressure=True,
        )
    )


def _one_thread_each() -> None:
    """One pool process runs one stream; the pool has a process per stream, so the processes already use every
    core. Threads of their own (FFmpeg's frame threads, OpenCV's parallel_for pool, whose idle threads spin)
    would only oversubscribe them. A single-threaded 720p decode takes 3.1 ms of CPU (3.5 ms with two threads) of
    the 33 ms a 30 fps camera allows; the product's fps did not move measurably (docs/benchmarks.md)."""
    os.environ["OPENCV_FFMPEG_THREADS"] = "1"  # read by OpenCV at each open of a source
    import cv2

    cv2.setNumThreads(1)
