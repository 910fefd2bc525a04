import cv2
import numpy as np
import supervision as sv

from workers.framepath.annotate import FrameAnnotator


def _detections() -> sv.Detections:
    return sv.Detections(
        xyxy=np.array([[100, 100, 300, 250]], dtype=np.float32),
        confidence=np.array([0.9], dtype=np.float32),
        class_id=np.array([2]),
        data={"class_name": np.array(["car"])},
    )


def test_annotation_draws_on_a_copy_and_encodes_a_decodable_jpeg():
    """GIVEN a grey 720p frame and one car WHEN annotated and encoded THEN the box is drawn on a copy (the
    original is untouched) and the JPEG decodes to the same size."""
    frame = np.full((720, 1280, 3), 128, dtype=np.uint8)
    annotator = FrameAnnotator.init(jpeg_quality=80)
    annotated = annotator.annotate(frame, _detections())
    assert (frame == 128).all()
    assert (annotated[100:250, 100] != 128).any()  # the box's left edge
    assert (annotated[400:, 400:] == 128).all()  # far from the box nothing changed
    decoded = cv2.imdecode(np.frombuffer(annotator.encode(annotated), np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (720, 1280, 3)


def test_no_detections_gives_the_frame_unchanged():
    """GIVEN no detections WHEN annotated THEN the copy equals the frame."""
    frame = np.random.default_rng(0).integers(0, 255, (360, 640, 3), dtype=np.uint8)
    assert np.array_equal(FrameAnnotator.init().annotate(frame, sv.Detections.empty()), frame)


def test_scale_to_width_keeps_the_aspect_and_never_enlarges():
    """GIVEN a 720p frame and a small one WHEN scaled to a 480 px tile THEN the big one becomes 480×270 and the
    small one is returned as it is."""
    big = np.zeros((720, 1280, 3), np.uint8)
    small = np.zeros((240, 320, 3), np.uint8)
    assert FrameAnnotator.scale_to_width(big, 480).shape == (270, 480, 3)
    assert FrameAnnotator.scale_to_width(small, 480) is small
