"""The size rules of the house (scripts/house_rules.py) hold for the whole tree."""

import runpy
from pathlib import Path

RULES = Path(__file__).resolve().parents[1] / "scripts" / "house_rules.py"


def test_no_file_or_function_over_the_size_limits(capsys):
    """GIVEN the repository WHEN the house rules are checked THEN no Python file is over 300 lines and no
    function in workers/ or streams/ is over 40 lines."""
    rules = runpy.run_path(str(RULES))
    breaches = [line for path in rules["python_files"]() for line in rules["breaches"](path)]
    assert breaches == []
