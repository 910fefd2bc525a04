"""python -m stack: run the whole product (what `make run` calls)."""

import os
import sys
from pathlib import Path


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()
    from django.conf import settings

    from stack.launcher import Launcher

    return Launcher(log_dir=Path(settings.VAR_DIR) / "logs").run()


if __name__ == "__main__":
    sys.exit(main())
