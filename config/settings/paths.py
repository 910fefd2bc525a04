"""Where the product keeps its files: the repository, var/ (database, logs, runtime files), the assets and the
directories file sources may come from. Every other settings module builds its paths from these."""

from pathlib import Path

from config.env import env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = env_path("VAR_DIR", BASE_DIR / "var")
ASSETS_DIR = env_path("ASSETS_DIR", BASE_DIR / "assets")
ASSETS_URL = env_str("ASSETS_URL")
# File sources must live under one of these directories.
STREAM_MEDIA_DIRS = [Path(p).expanduser().resolve() for p in env_list("MEDIA_DIRS", [], sep=":")] or [
    ASSETS_DIR,
    BASE_DIR / "media",
]
