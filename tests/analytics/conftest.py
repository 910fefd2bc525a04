"""Fixtures of the analytics tests: a stored stream (never started) and the catalog's class names of its model.
Other test packages import them by their function names (`stream_fixture`, `catalog_classes_fixture`)."""

import pytest

from catalog.models import InferenceModel
from streams import control, services
from streams.models import Stream

COCO_SOME = ["person", "bicycle", "car", "motorcycle", "bus", "truck"]


@pytest.fixture(name="stream")
def stream_fixture(settings, tmp_path) -> Stream:
    settings.STREAM_MEDIA_DIRS = [tmp_path]
    (tmp_path / "clip.mp4").write_bytes(b"x")
    created = services.stream_create(name="highway", source=str(tmp_path / "clip.mp4"), start=False)
    control.clear_commands(created.pk)
    return created


@pytest.fixture(name="catalog_classes")
def catalog_classes_fixture(settings) -> list[str]:
    """The default model in the catalog, with its class names, as a sync from Triton leaves it."""
    InferenceModel.objects.create(name=settings.TRITON_MODEL_NAME, class_names=COCO_SOME,
                                  state=InferenceModel.State.READY)  # fmt: skip
    return COCO_SOME
