"""Print the longest functions and methods of the addons (the style guide's limit is 60 lines).

Usage: longest_methods.py [--top N] [--over LINES] [PATH ...]   (default: the three addons)
A length is the number of source lines from ``def`` to the last line of the body, docstring
and comments included; tests are left out unless a path under ``tests/`` is given.
Exit 1 when ``--over`` is given and a function is longer, else 0.
"""

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ("healthcare_integration_base", "healthcare_hr_sync", "healthcare_rcm_sync")


def functions(path):
    """``(length, "file:line qualified.name")`` for every function defined in ``path``."""
    tree = ast.parse(path.read_text(), str(path))
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                length = child.end_lineno - child.lineno + 1
                where = f"{path.relative_to(ROOT)}:{child.lineno}"
                found.append((length, f"{where} {prefix}{child.name}"))
                visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return found


def python_files(paths):
    for base in paths:
        base = Path(base).resolve()
        files = [base] if base.is_file() else sorted(base.rglob("*.py"))
        explicit_tests = "tests" in base.parts
        yield from (f for f in files if explicit_tests or "tests" not in f.relative_to(ROOT).parts)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--over", type=int, default=None)
    parser.add_argument("paths", nargs="*", default=[ROOT / name for name in ADDONS])
    args = parser.parse_args(argv)
    found = sorted(
        (item for path in python_files(args.paths) for item in functions(path)), reverse=True
    )
    for length, name in found[: args.top]:
        print(f"{length:4d}  {name}")
    if args.over is not None:
        too_long = [item for item in found if item[0] > args.over]
        print(f"{len(too_long)} over {args.over} lines")
        return 1 if too_long else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
