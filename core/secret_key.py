"""The generated Django secret key under var/: written once, by `manage.py bootstrap` (which `make run` runs
before it starts the other processes), never by importing settings."""

import os
import secrets
import tempfile
from pathlib import Path


def secret_key_ensure(path: Path) -> bool:
    """Write a new random key to `path`, readable by its owner only, unless one is there; True if written.
    The file appears whole or not at all (a linked temporary file), so no process ever reads half a key."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(50))
        os.link(temporary, path)
    except FileExistsError:
        return False  # another bootstrap wrote it first: keep theirs
    finally:
        os.unlink(temporary)
    return True
