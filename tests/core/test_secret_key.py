"""The generated secret key: bootstrap writes it once (core/secret_key.py); settings only read it."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.secret_key import secret_key_ensure

ROOT = Path(__file__).resolve().parents[2]
_PRINT_KEY = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"


def _fresh_env(var_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SECRET_KEY"}
    return {**env, "VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "config.settings"}


def test_a_fresh_clone_passes_check_and_reading_settings_writes_nothing(tmp_path):
    """GIVEN a var/ directory that does not exist yet and no DJANGO_SECRET_KEY WHEN settings are read and
    `manage.py check` runs THEN both succeed with a long key, and no file or directory is created."""
    var_dir = tmp_path / "var"
    key = subprocess.run([sys.executable, "-c", _PRINT_KEY], env=_fresh_env(var_dir), cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert len(key) >= 50
    subprocess.run([sys.executable, "manage.py", "check"], env=_fresh_env(var_dir), cwd=ROOT,
                   capture_output=True, text=True, check=True)
    assert not var_dir.exists()


def test_the_key_is_written_once_for_its_owner_only_and_settings_read_it_back(tmp_path):
    """GIVEN no key file WHEN ensured twice THEN the first call writes a key only its owner can read, the second
    keeps it; settings in a new process sign with that key."""
    key_file = tmp_path / "var" / "secret_key"
    assert secret_key_ensure(key_file)
    written = key_file.read_text()
    assert not secret_key_ensure(key_file)
    assert key_file.read_text() == written and len(written) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [path.name for path in key_file.parent.iterdir()] == ["secret_key"]
    key = subprocess.run([sys.executable, "-c", _PRINT_KEY], env=_fresh_env(tmp_path / "var"), cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert key == written


@pytest.mark.stack
def test_bootstrap_writes_the_key_the_product_processes_read(live_stack):
    """GIVEN the product started by bootstrap on a fresh var/ WHEN its var/ is inspected THEN the key file is
    there, readable by its owner only."""
    key_file = Path(live_stack.env["VAR_DIR"]) / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
