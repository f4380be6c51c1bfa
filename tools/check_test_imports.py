"""Check that Odoo's own test runner sees the same tests as pytest (called by `make test`).

pytest collects every ``tests/test_*.py`` file; Odoo's runner (``odoo --test-enable``, runbot,
OCA CI) only runs the modules that the addon's ``tests/__init__.py`` imports, and in them only
the classes that derive from Odoo's ``BaseCase`` (a plain ``unittest.TestCase`` has no test
tags, so the runner drops it without a word). This script fails when either would happen.

Usage: check_test_imports.py [ROOT]   (default: the repository this script lives in)
Exit 0 when every addon is consistent, 1 otherwise (the problems are printed).
"""

import ast
import sys
from pathlib import Path

PLAIN_TEST_CASES = {"unittest.TestCase", "unittest.case.TestCase"}


def imported_modules(init_file):
    """Names imported by ``from . import a, b`` in a tests/__init__.py."""
    tree = ast.parse(init_file.read_text(), str(init_file))
    return {
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module
        for alias in node.names
    }


def _plain_names(tree):
    """Local names bound to unittest's TestCase by ``from unittest import TestCase``."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in ("unittest", "unittest.case")
        for alias in node.names
        if alias.name == "TestCase"
    }


def plain_test_classes(test_file):
    """Classes of ``test_file`` that derive directly from unittest's TestCase."""
    tree = ast.parse(test_file.read_text(), str(test_file))
    plain = PLAIN_TEST_CASES | _plain_names(tree)
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and any(ast.unparse(base) in plain for base in node.bases)
    ]


def addon_problems(addon):
    """Problems of one addon's tests package, as printable lines."""
    tests = addon / "tests"
    test_files = sorted(tests.glob("test_*.py"))
    if not test_files:
        return []
    init_file = tests / "__init__.py"
    imported = imported_modules(init_file) if init_file.exists() else set()
    problems = [
        f"{init_file}: does not import {test_file.stem} (Odoo's runner skips it)"
        for test_file in test_files
        if test_file.stem not in imported
    ]
    for test_file in test_files:
        problems += [
            f"{test_file}: {name} derives from unittest.TestCase; use odoo.tests.BaseCase "
            "(Odoo's runner skips classes without test tags)"
            for name in plain_test_classes(test_file)
        ]
    return problems


def main(argv):
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    addons = sorted(path.parent for path in root.glob("*/__manifest__.py"))
    problems = [problem for addon in addons for problem in addon_problems(addon)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"Test modules: {len(addons)} addons, every test module imported by its tests package.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
