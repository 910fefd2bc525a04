"""Process-wide set-up of the video runtime, done once per worker process before streamvision is imported."""

import os

from django.conf import settings


def configure_stream_runtime() -> None:
    # OpenCV reads this at each open; setting it at all drops its TCP default, so settings keep rtsp_transport.
    os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = settings.SOURCE_FFMPEG_OPTIONS
    from streamvision.stream.configuration import StreamsConfiguration, configure_process

    configure_process(
        StreamsConfiguration(
            # Our file sources pace themselves like live cameras, so drop rather than queue frames.
            default_buffer_size=8,
            restart_attempt_delay=1,
            disable_gstreamer_video_sources=True,
            predictions_queue_size=4,
            predictions_queue_size_explicit=True,
        )
    )
