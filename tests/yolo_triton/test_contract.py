"""The model contract: output layouts from shapes, served configs read into a ModelSpec, the model input."""

import json

import numpy as np
import pytest

from yolo_triton.contract import UnknownLayoutError, guess_layout, parse_config, to_model_input


@pytest.mark.parametrize(
    ("dims", "classes", "layout"),
    [
        ([84, 8400], 80, "yolov8"), ([84, -1], None, "yolov8"), ([8400, 84], None, "yolov5"),
        ([25200, 85], 80, "yolov5"), ([300, 6], 80, "nms"), ([-1, 6], None, "nms"), ([7, 2100], None, "yolov8"),
    ],
)  # fmt: skip
def test_layout_is_recognised_from_the_output_shape(dims, classes, layout):
    """GIVEN a per-image output shape (and the class count when known) WHEN guessed THEN the right layout."""
    assert guess_layout(dims, classes) == layout


@pytest.mark.parametrize("dims", [[84], [1, 84, 8400], [4, 4], [3, 2]])
def test_unknown_layout_error_names_the_shape(dims):
    """GIVEN an output shape no layout fits WHEN guessed THEN UnknownLayoutError names the shape and the layouts."""
    with pytest.raises(UnknownLayoutError, match=r"shape \[.*YOLOv8/11.*YOLOv5/YOLOX.*NMS-exported"):
        guess_layout(dims, None)


def user_config(input_dims: list[int], input_type: str, outputs: dict[str, list[int]], batch: int = 8) -> dict:
    """A model config as a user's own Triton deployment might serve it (HTTP JSON form)."""
    return {
        "max_batch_size": batch,
        "input": [{"name": "images", "data_type": input_type, "dims": input_dims}],
        "output": [{"name": name, "data_type": "TYPE_FP32", "dims": dims} for name, dims in outputs.items()],
    }


@pytest.mark.parametrize(
    ("config", "layout", "input_format", "classes"),
    [
        (user_config([3, 640, 640], "TYPE_FP32", {"output0": [84, 8400]}), "yolov8", "nchw_float32", 80),
        (user_config([3, 640, 640], "TYPE_FP16", {"output0": [25200, 85]}), "yolov5", "nchw_float16", 80),
        (user_config([640, 640, 3], "TYPE_UINT8", {"output0": [300, 6]}), "nms", "nhwc_uint8", 0),
        (user_config([1, 3, 320, 320], "TYPE_FP32", {"output0": [1, 84, 2100]}, batch=0), "yolov8", "nchw_float32",
         80),
    ],
)  # fmt: skip
def test_user_deployments_are_recognised_from_their_config(config, layout, input_format, classes):
    """GIVEN the config of a plain Ultralytics/YOLOv5/NMS export served by someone's own Triton
    WHEN parsed
    THEN the client knows the input format, the output layout and how many classes there are."""
    spec = parse_config(config)

    assert (spec.layout, spec.input_format, len(spec.class_names)) == (layout, input_format, classes)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (user_config([3, 640, 640], "TYPE_FP32", {"output0": [4, 4]}), r"shape \[4, 4\]"),
        (user_config([3, 640, 640], "TYPE_FP32", {"boxes": [100, 4], "scores": [100]}),
         r"outputs seen: \{'boxes': \[100, 4\], 'scores': \[100\]\}"),
        (user_config([640, 640], "TYPE_UINT8", {"output0": [84, 8400]}), r"TYPE_UINT8 \[640, 640\]"),
    ],
)  # fmt: skip
def test_unknown_model_shapes_get_an_error_naming_them(config, message):
    """GIVEN a config whose output or input shape no layout fits WHEN parsed THEN a ValueError names the shapes."""
    with pytest.raises((UnknownLayoutError, ValueError), match=message):
        parse_config(config)


def test_float_input_model_is_fed_normalised_nchw():
    """GIVEN a model that takes FP32 [N,3,H,W] (a plain Ultralytics export)
    WHEN the client converts a letterboxed uint8 batch for it
    THEN the tensor is NCHW float in [0, 1]."""
    batch = np.stack([np.full((4, 4, 3), (0, 51, 255), np.uint8)])

    tensor = to_model_input(batch, "nchw_float32")

    assert tensor.shape == (1, 3, 4, 4) and tensor.dtype == np.float32
    np.testing.assert_allclose(tensor[0, :, 0, 0], [0.0, 0.2, 1.0])


def served_config(shapes: dict[str, str] | None) -> dict:
    config = user_config([-1, -1, 3], "TYPE_UINT8", {"detections": [-1, 6], "num_detections": [1]}, batch=8)
    if shapes is not None:
        config["parameters"] = {"input_shapes": {"string_value": json.dumps(shapes)}}
    return config


@pytest.mark.parametrize(
    ("source", "expected"),
    [((720, 1280), (192, 320)), ((1080, 1920), (192, 320)), ((480, 640), (256, 320)), ((432, 768), (192, 320)),
     ((1080, 810), (320, 320)), ((500, 500), (320, 320)), ((800, 1280), (256, 320))],
)  # fmt: skip
def test_a_model_with_rectangular_inputs_gives_each_frame_the_least_padded_one(source, expected):
    """GIVEN a served model listing 320×320 (default), 192×320 and 256×320 inputs
    WHEN the input for a frame of each shape is asked for
    THEN 16:9 (and wider) frames get 192×320, 4:3 frames 256×320, square and portrait frames the default: the
    smallest input holding the frame at the default's scale."""
    spec = parse_config(served_config({"320x320": "/m.onnx", "192x320": "1/a.onnx", "256x320": "1/b.onnx"}))

    assert spec.input_size == (320, 320) and spec.input_shapes == ((320, 320), (192, 320), (256, 320))
    assert spec.input_size_for(*source) == expected
    assert spec.serves(*expected) and not spec.serves(224, 320)


@pytest.mark.parametrize(("shapes", "message"), [(None, "no fixed H and W"), ({"320by320": "m"}, "unreadable")])
def test_a_model_of_any_input_size_without_its_list_of_sizes_is_refused(shapes, message):
    """GIVEN a config whose image input is [-1, -1, 3] with no (or an unreadable) input_shapes parameter
    WHEN parsed THEN a ValueError says so: the client cannot know what size to send."""
    with pytest.raises(ValueError, match=message):
        parse_config(served_config(shapes))
