"""The tests' own layout: what several test modules share lives in helper modules
(`tests/app.py`, `tests/helpers.py`, `tests/<dir>/helpers.py`), and fixtures live in
`conftest.py` files that pytest loads itself. No module imports a `conftest` (pytest may
load it twice under two names) or a `test_*` module (its tests would be collected again
wherever it is imported)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).parent


def imported_modules(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every module an import statement names, relative or not."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            yield node.lineno, module
            # `from tests.atnet import conftest` names the module in the import list
            yield from ((node.lineno, f"{module}.{alias.name}") for alias in node.names)


def forbidden(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def test_no_module_imports_a_conftest_or_a_test_module() -> None:
    found = [
        f"{path.relative_to(TESTS.parent)}:{line}: {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for line, module in imported_modules(ast.parse(path.read_text(), str(path)))
        if forbidden(module)
    ]
    assert found == [], "move what these share into a helper module:\n" + "\n".join(found)


def test_the_check_sees_every_form_of_import() -> None:
    source = """
import tests.conftest
from tests.conftest import User
from tests.atnet import conftest
from .test_pages import BROWSER
from tests.helpers import poll
import tests.app
"""
    hits = [m for _, m in imported_modules(ast.parse(source)) if forbidden(m)]
    assert hits == [
        "tests.conftest",
        "tests.conftest",
        "tests.atnet.conftest",
        ".test_pages",
    ]
