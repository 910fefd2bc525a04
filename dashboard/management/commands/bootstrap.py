"""Prepares a database for `make run`: the secret key file, migrate, an admin user, demo streams, and restarts
what should run.

Prints one JSON line on stdout for the launcher: {"username": ..., "password": ... or null}. A generated
password appears there once, when the user is created, and never again.
"""

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts.roles import Role
from accounts.services import user_set_role
from catalog import services as catalog_services
from core.secret_key import secret_key_ensure
from dashboard import demo
from streams import reconciler, status


class Command(BaseCommand):
    help = "Migrate, ensure the admin user and demo streams, and resume streams that should run."

    def handle(self, *args: object, **options: object) -> None:
        if settings.SECRET_KEY_FILE is not None:
            # Before the web and worker processes start: they read it, so all of them sign alike.
            secret_key_ensure(Path(settings.SECRET_KEY_FILE))
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        password = self._ensure_admin(settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD)
        # Model records from Triton's repository index, so streams can pick a model from the first page view.
        catalog_services.models_sync_from_settings()
        # Start what should run now rather than at the reconciler's first beat; demo streams created
        # below start on their own. Streams the last shutdown interrupted are not "worker lost" errors.
        status.streams_mark_interrupted()
        reconciler.streams_reconcile()
        if settings.DEMO_STREAMS:
            # An empty database only: the demo streams, with a counting line, a zone and rules on their clips.
            demo.demo_ensure(videos=[Path(settings.ASSETS_DIR) / name for name in self._demo_videos()])
        self.stdout.write(json.dumps({"username": settings.ADMIN_USERNAME, "password": password}))

    @staticmethod
    def _demo_videos() -> tuple[str, ...]:
        from stack.assets import DEMO_VIDEOS

        return DEMO_VIDEOS

    @staticmethod
    def _ensure_admin(username: str, password: str) -> str | None:
        """The password to show: the generated one for a new user, the given one, or None (unchanged)."""
        users = get_user_model()
        user = users.objects.filter(username=username).first()
        if user is None:
            shown = password or secrets.token_urlsafe(12)
            user = users.objects.create_superuser(username=username, email="", password=shown)
            user_set_role(user=user, role=Role.ADMIN)
            return shown
        if password:
            user.set_password(password)
            user.save(update_fields=["password"])
            return password
        return None
