"""tools/check_test_imports.py: the check that keeps pytest and Odoo's runner on one test set."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "tools" / "check_test_imports.py"


def addon(root, init_imports, modules):
    """An addon ``root/demo_addon`` whose tests package imports ``init_imports``."""
    tests = root / "demo_addon" / "tests"
    tests.mkdir(parents=True)
    (root / "demo_addon" / "__manifest__.py").write_text("{'name': 'demo'}\n")
    (tests / "__init__.py").write_text("".join(f"from . import {m}\n" for m in init_imports))
    for name, source in modules.items():
        (tests / f"{name}.py").write_text(source)


def run(root):
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, check=False
    )


ODOO_CASE = "from odoo.tests import TransactionCase\n\nclass TestA(TransactionCase):\n    pass\n"


def test_consistent_addon_passes(tmp_path):
    addon(tmp_path, ["test_a"], {"test_a": ODOO_CASE, "common": "X = 1\n"})
    assert run(tmp_path).returncode == 0


def test_module_missing_from_tests_init_fails(tmp_path):
    addon(tmp_path, ["test_a"], {"test_a": ODOO_CASE, "test_b": ODOO_CASE})
    result = run(tmp_path)
    assert result.returncode == 1
    assert "does not import test_b" in result.stderr


def test_plain_unittest_case_fails(tmp_path):
    plain = "import unittest\n\nclass TestPlain(unittest.TestCase):\n    pass\n"
    aliased = "from unittest import TestCase as Base\n\nclass TestAliased(Base):\n    pass\n"
    addon(tmp_path, ["test_a", "test_b"], {"test_a": plain, "test_b": aliased})
    result = run(tmp_path)
    assert result.returncode == 1
    assert "TestPlain derives from unittest.TestCase" in result.stderr
    assert "TestAliased derives from unittest.TestCase" in result.stderr


def test_the_repository_itself_is_consistent():
    assert run(SCRIPT.parent.parent).returncode == 0
