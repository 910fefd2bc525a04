"""`manage.py sync_models`: make the model records match Triton's repository index."""

from django.core.management.base import BaseCommand, CommandError

from catalog.services import models_sync, triton_from_settings
from yolo_triton.admin import TritonAdminError


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        triton = triton_from_settings()
        if triton is None:
            raise CommandError("TRITON_URL is not set: no Triton to read the models from")
        try:
            result = models_sync(triton=triton)
        except TritonAdminError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"ready: {result.ready}; unavailable: {result.unavailable}; missing: {result.missing}")
