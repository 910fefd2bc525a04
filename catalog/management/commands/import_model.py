"""`manage.py import_model FILE [--name NAME]`: serve a user's YOLO ONNX file as a Triton model."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.onnx_tools import ImportRefusedError
from catalog.services import model_import_from_settings


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:  # noqa: ANN001 - argparse parser
        parser.add_argument("file", type=Path)
        parser.add_argument("--name", help="Triton model name (default: the file name without .onnx)")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        name = options["name"] or path.stem
        try:
            result = model_import_from_settings(onnx_path=path, name=name, progress=self._progress)
        except ImportRefusedError as exc:
            raise CommandError(f"{path.name} was not imported: {exc}") from exc
        model = result.model
        for note in result.notes:
            self.stdout.write(f"note: {note}")
        self.stdout.write(self.style.SUCCESS(
            f"{model.name}: {model.input_size}, {model.class_count} classes, max batch {model.max_batch_size}, "
            f"{'loaded' if result.loaded else 'not loaded yet'}"
        ))  # fmt: skip

    def _progress(self, step: str) -> None:
        self.stdout.write(f"… {step}")
