"""Model records synced from a real Triton, and `import_model` of ONNX files into its repository."""

import shutil
import subprocess
from io import StringIO
from pathlib import Path

import cv2
import onnx
import pytest
from django.core.management import CommandError, call_command

from catalog import selectors
from catalog.models import InferenceModel
from catalog.services import models_sync
from stack.triton_server import EmbeddedTriton
from testbed.detection import CONF, IOU, TRITON_VENV, asset, names, triton_fixture
from workers.inference.detector import Detector
from yolo_triton.admin import TritonAdmin, TritonAdminError

pytestmark = pytest.mark.django_db


triton = triton_fixture("triton-catalog", "yolo11n_320_dyn.onnx")


@pytest.fixture
def configured(settings, triton: EmbeddedTriton) -> EmbeddedTriton:
    settings.TRITON_URL = triton.url
    settings.TRITON_MODEL_REPOSITORY = triton.repository
    settings.TRITON_PYTHON = TRITON_VENV / "bin" / "python"
    settings.TRITON_MODEL_NAME = "yolo"
    return triton


@pytest.fixture(scope="module")
def static_batch_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """yolo11n 320 with its batch axis pinned to 1, as many exports come."""
    model = onnx.load(str(asset("yolo11n_320_dyn.onnx")))
    for value in [*model.graph.input, *model.graph.output]:
        value.type.tensor_type.shape.dim[0].Clear()
        value.type.tensor_type.shape.dim[0].dim_value = 1
    path = tmp_path_factory.mktemp("onnx") / "static1.onnx"
    onnx.save(model, str(path))
    return path


def test_sync_records_what_triton_serves_and_marks_the_rest_missing(configured: EmbeddedTriton):
    """GIVEN a server with the default model and a record of a model it no longer has
    WHEN the catalog is synced from Triton's repository index
    THEN the default model is ready with its input size, 80 class names and server-side NMS; the other missing."""
    InferenceModel.objects.create(name="retired", state=InferenceModel.State.READY)

    result = models_sync(triton=TritonAdmin(configured.url))

    model = selectors.model_get(name="yolo")
    assert result.ready == ["yolo"] and result.missing == ["retired"]
    assert (model.state, model.input_height, model.input_width) == ("ready", 320, 320)
    assert model.class_names[:2] == ["person", "bicycle"] and model.class_count == 80
    assert model.layout == "nms" and model.server_side_nms and model.max_batch_size == 8
    assert selectors.model_get(name="retired").state == "missing"
    assert [name for name, _ in selectors.model_choices()] == ["yolo"]


def test_import_makes_the_batch_dynamic_loads_the_model_and_it_detects(configured, static_batch_onnx: Path):
    """GIVEN an ONNX export with a static batch of 1
    WHEN `manage.py import_model FILE --name imported` runs
    THEN it reports its steps, the entry is written with its ONNX inside, Triton serves it with max batch 8,
    the record is ready, and it finds the bus and the persons in bus.jpg."""
    out = StringIO()

    call_command("import_model", str(static_batch_onnx), "--name", "imported", stdout=out)

    text = out.getvalue()
    assert "Making the batch axis dynamic" in text and "Loading the model in Triton" in text and "loaded" in text
    entry = configured.repository / "imported"
    assert (entry / "config.pbtxt").is_file() and (entry / "1" / "model.onnx").is_file()
    model = selectors.model_get(name="imported")
    assert (model.state, model.max_batch_size, model.class_count) == ("ready", 8, 80)
    detector = Detector.init(url=configured.url, model_name="imported")
    try:
        (found,) = detector.detect([cv2.imread(str(asset("bus.jpg")))], confidence=CONF, iou=IOU)
    finally:
        detector.close()
    assert names(found) == ["bus", "person", "person", "person", "person"]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not an onnx file", "not a valid ONNX model"), (None, "expected \\[N, 3, H, W\\] with fixed H and W")],
)
def test_a_broken_file_is_refused_and_changes_nothing(configured, tmp_path: Path, content, message):
    """GIVEN a file that is not ONNX, or an ONNX whose image size is not fixed
    WHEN imported
    THEN the command fails with the reason, and the repository, Triton's index and the records are unchanged."""
    path = tmp_path / "broken.onnx"
    if content is None:
        model = onnx.load(str(asset("yolo11n_320_dyn.onnx")))
        model.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "height"
        onnx.save(model, str(path))
    else:
        path.write_bytes(content)
    entries_before = sorted(p.name for p in configured.repository.iterdir())
    index_before = TritonAdmin(configured.url).index()

    with pytest.raises(CommandError, match=message):
        call_command("import_model", str(path), "--name", "broken", stdout=StringIO())

    assert sorted(p.name for p in configured.repository.iterdir()) == entries_before
    assert TritonAdmin(configured.url).index() == index_before
    assert not InferenceModel.objects.filter(name="broken").exists()


def test_the_default_model_cannot_be_replaced_by_an_import(configured, static_batch_onnx: Path):
    """GIVEN the default model's name WHEN an import asks for it THEN it is refused before anything is read."""
    with pytest.raises(CommandError, match="'yolo' is not allowed"):
        call_command("import_model", str(static_batch_onnx), "--name", "yolo", stdout=StringIO())


def test_a_graph_that_cannot_batch_is_served_without_batching_and_says_why(configured):
    """GIVEN an INT8 YOLO11 export with a static batch of 1 whose attention Reshape bakes in that 1
    WHEN imported
    THEN the dynamic batch is refused with ONNX Runtime's reason, and the model is served with max batch 1."""
    out = StringIO()

    call_command("import_model", str(asset("yolo11n_int8_320.onnx")), "--name", "int8", stdout=out)

    assert "served without batching (max_batch_size 1): a batch of 2 does not run" in out.getvalue()
    assert "Reshape" in out.getvalue()
    model = selectors.model_get(name="int8")
    assert (model.state, model.max_batch_size) == ("ready", 1)


def test_sync_from_settings_without_a_reachable_triton_changes_nothing(settings):
    """GIVEN a record and a TRITON_URL where nothing listens
    WHEN the start-up sync runs
    THEN it returns None and the record keeps its state (a down Triton must not mark every model missing)."""
    from catalog.services import models_sync_from_settings
    from stack.processes import free_port

    InferenceModel.objects.create(name="kept", state=InferenceModel.State.READY)
    settings.TRITON_URL = f"127.0.0.1:{free_port()}"

    assert models_sync_from_settings() is None
    assert selectors.model_get(name="kept").state == "ready"


def test_admin_import_form_reports_a_refusal_and_lists_an_imported_model(configured, client, static_batch_onnx):
    """GIVEN a logged-in admin
    WHEN a broken file is uploaded on the import page, then a good export
    THEN the first is refused with its reason and no record, the second is imported, reported with its steps,
    and the model list shows it with its input size."""
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-123456"))
    url = "/admin/catalog/inferencemodel/import/"

    refused = client.post(url, {"file": SimpleUploadedFile("bad.onnx", b"junk"), "name": "bad"}, follow=True)
    with static_batch_onnx.open("rb") as onnx_file:
        imported = client.post(url, {"file": SimpleUploadedFile("good.onnx", onnx_file.read()), "name": "good"},
                               follow=True)  # fmt: skip

    assert "not a valid ONNX model" in refused.content.decode()
    assert not InferenceModel.objects.filter(name="bad").exists()
    page = imported.content.decode()
    assert "Imported good" in page and "Loading the model in Triton" in page and "320×320" in page
    assert selectors.model_get(name="good").state == "ready"


def test_an_import_triton_has_not_loaded_records_layout_and_batch_size_as_unknown(admin_client, tmp_path: Path):
    """GIVEN no Triton to load into (the entry is served only when the embedded server next starts)
    WHEN an ONNX file is imported
    THEN the record keeps what the file says (input size, 80 names) but leaves layout, server-side NMS and batch
    size unknown instead of guessing them, and the admin's model list shows "unknown"."""
    from catalog.services import model_import

    result = model_import(onnx_path=asset("yolo11n_320_dyn.onnx"), name="offline", repository=tmp_path,
                          triton_python=TRITON_VENV / "bin" / "python", triton=None)  # fmt: skip

    model = selectors.model_get(name="offline")
    assert not result.loaded and model.state == "unavailable"
    assert (model.input_size, model.class_count) == ("320×320", 80)
    assert (model.layout, model.server_side_nms, model.max_batch_size) == (None, None, None)
    row = admin_client.get("/admin/catalog/inferencemodel/").content.decode().split("offline", 1)[1]
    assert row.split("</tr>", 1)[0].count("unknown") >= 2


def test_a_model_triton_failed_to_load_is_synced_with_unknown_layout_and_batch_size(configured: EmbeddedTriton):
    """GIVEN an entry in the served repository whose ONNX file is missing, which Triton then fails to load
    WHEN the catalog is synced
    THEN its record is unavailable with Triton's reason and no guessed layout or batch size."""
    from stack.triton_server import PREPARE_SCRIPT

    admin = TritonAdmin(configured.url)
    entry = configured.repository / "halfway"
    subprocess.run([str(TRITON_VENV / "bin" / "python"), str(PREPARE_SCRIPT), "--onnx",
                    str(asset("yolo11n_320_dyn.onnx")), "--out", str(configured.repository), "--model-name",
                    "halfway", "--copy-onnx"], check=True, capture_output=True)  # fmt: skip
    (entry / "1" / "model.onnx").unlink()
    try:
        with pytest.raises(TritonAdminError):
            admin.load("halfway")

        result = models_sync(triton=admin)
    finally:
        shutil.rmtree(entry)

    model = selectors.model_get(name="halfway")
    assert "halfway" in result.unavailable and model.state == "unavailable" and model.reason
    assert (model.layout, model.server_side_nms, model.max_batch_size) == (None, None, None)
