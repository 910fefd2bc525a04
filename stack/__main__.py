"""python -m stack [ROLE...]: `all` (the default, what `make run` calls) or any of web, worker, control, triton."""

import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from stack.launcher import Launcher
    from stack.roles import ALL, parse_roles

    try:
        roles = parse_roles(argv)
    except ValueError as error:
        print(f"python -m stack: {error}", file=sys.stderr)
        return 2
    everything = not argv or ALL in " ".join(argv).replace(",", " ").split()
    return Launcher(log_dir=Path(settings.VAR_DIR) / "logs", roles=roles, everything=everything).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
