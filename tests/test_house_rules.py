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


def test_imports_point_one_way_and_never_in_a_circle():
    """GIVEN the repository WHEN the import rules are checked (scripts/import_rules.py) THEN no module circle,
    no package imports one above it, nobody but its own tests imports `config`, and bench/ and tests/ do not
    import each other."""
    rules = runpy.run_path(str(RULES.with_name("import_rules.py")))
    assert rules["breaches"]() == []
