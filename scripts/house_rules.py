"""The size rules of the house: no Python file over 300 lines; no function over 40 lines in workers/ and streams/.

`python scripts/house_rules.py` prints each breach and exits 1 if there is one (tests/test_house_rules.py runs it).
Migrations are generated code and do not count.
"""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_FILE_LINES = 300
MAX_FUNCTION_LINES = 40
SHORT_FUNCTION_PACKAGES = ("workers/", "streams/")


def python_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return [ROOT / name for name in listed if "/migrations/" not in name and (ROOT / name).exists()]


def breaches(path: Path) -> list[str]:
    relative = path.relative_to(ROOT).as_posix()
    text = path.read_text()
    found = []
    lines = text.count("\n")
    if lines > MAX_FILE_LINES:
        found.append(f"{relative}: {lines} lines (limit {MAX_FILE_LINES})")
    if relative.startswith(SHORT_FUNCTION_PACKAGES):
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if length > MAX_FUNCTION_LINES:
                    limit = f"(limit {MAX_FUNCTION_LINES})"
                    found.append(f"{relative}:{node.lineno} {node.name}() is {length} lines {limit}")
    return found


def main() -> int:
    found = [line for path in python_files() for line in breaches(path)]
    print("\n".join(found) or "house rules: all files and functions within their limits")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
