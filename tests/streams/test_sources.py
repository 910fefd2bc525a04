import pytest
from django.core.exceptions import ValidationError

from streams.sources import classify_source, parse_source, redact_source


@pytest.fixture
def media_dir(settings, tmp_path):
    settings.STREAM_MEDIA_DIRS = [tmp_path]
    (tmp_path / "clip.mp4").write_bytes(b"not really a video")
    return tmp_path


def test_accepts_each_kind_of_source(media_dir):
    """GIVEN a webcam index, network URLs and a file in the media dir WHEN parsed THEN each gets its kind."""
    assert parse_source("0").kind == "webcam"
    assert parse_source(" 2 ").webcam_index == 2
    for url in ("rtsp://cam.local:554/live", "rtsps://u:p@cam/x", "http://h/stream.mjpg", "https://h/a.m3u8"):
        assert parse_source(url).kind == "network"
    assert parse_source(str(media_dir / "clip.mp4")).value == str(media_dir / "clip.mp4")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "Enter a source"),
        ("not a source", "absolute path"),
        ("ftp://host/file.mp4", "Unsupported scheme"),
        ("rtsp://", "no host"),
        ("rtsp://cam:99999/x", "Malformed URL"),
        ("/etc/passwd", "allowed media directory"),
        ("99", "Webcam index"),
        ("c:\\video.mp4", "not a valid source"),
    ],
)
def test_refuses_bad_sources_with_a_clear_message(media_dir, source, message):
    """GIVEN a bad source WHEN parsed THEN a ValidationError names the problem."""
    with pytest.raises(ValidationError) as error:
        parse_source(source)
    assert message in " ".join(error.value.messages)


def test_refuses_missing_file_inside_media_dir(media_dir):
    """GIVEN a path inside the media dir that does not exist WHEN parsed THEN it says so."""
    with pytest.raises(ValidationError, match="No such file"):
        parse_source(str(media_dir / "nope.mp4"))


def test_refuses_escape_from_media_dir_through_dotdot(media_dir):
    """GIVEN a path that climbs out of the media dir WHEN parsed THEN it is refused."""
    with pytest.raises(ValidationError, match="allowed media directory"):
        parse_source(str(media_dir / ".." / ".." / "etc" / "passwd"))


def test_redaction_hides_passwords_and_query_secrets():
    """GIVEN URLs with credentials WHEN redacted THEN no secret survives but the host stays readable."""
    assert redact_source("rtsp://admin:s3cret@10.0.0.5:554/live") == "rtsp://admin:***@10.0.0.5:554/live"
    assert redact_source("http://token@host/x") == "http://***@host/x"
    assert "abc123" not in redact_source("https://host/x?key=abc123")
    assert redact_source("/srv/video.mp4") == "/srv/video.mp4"
    assert classify_source("rtsp://x/y") == "network" and classify_source("3") == "webcam"
