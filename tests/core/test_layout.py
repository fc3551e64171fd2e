"""The layout rule "only repositories hold SQL", checked on the source: a module that imports
SQLAlchemy's statement builders (select, update, text, func, or_…) is a repository, a
migration or the database infrastructure, or it is named below with the reason."""

from __future__ import annotations

import ast
from pathlib import Path

import plyr

SRC = Path(plyr.__file__).parent

# what builds a statement or a clause of one (types, sessions and exceptions do not)
BUILDERS = frozenset(
    {
        "select",
        "update",
        "delete",
        "insert",
        "text",
        "func",
        "or_",
        "and_",
        "not_",
        "union",
        "union_all",
        "exists",
        "case",
        "cast",
        "literal",
        "literal_column",
        "column",
        "table",
        "tuple_",
        "bindparam",
        "true",
        "false",
        "null",
    }
)
SQL_MODULES = ("sqlalchemy", "sqlalchemy.sql", "sqlalchemy.sql.expression", "sqlalchemy.future")

# paths relative to src/plyr that may build SQL by rule: repositories, migrations, and the
# database infrastructure (the engine's health ping, running the migrations)
INFRASTRUCTURE = {"core/db.py", "core/migrate.py"}

# other modules that build SQL, each with the reason
EXCEPTIONS: dict[str, str] = {}


def _by_rule(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name == "repository.py" or path.startswith("migrations/") or path in INFRASTRUCTURE


def _builders_imported(tree: ast.Module) -> set[str]:
    """The statement builders a module imports, wherever the import is (a lazy import inside
    a function counts), and `sqlalchemy` itself imported as a module."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            dialect_insert = node.module.startswith("sqlalchemy.dialects.")
            if node.module in SQL_MODULES or dialect_insert:
                found |= {a.name for a in node.names if a.name in BUILDERS}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in SQL_MODULES}
    return found


def _sql_builders() -> dict[str, set[str]]:
    """Per module (path relative to src/plyr): the statement builders it imports."""
    found = {}
    for file in sorted(SRC.rglob("*.py")):
        path = file.relative_to(SRC).as_posix()
        names = _builders_imported(ast.parse(file.read_text(), filename=str(file)))
        if names:
            found[path] = names
    return found


def test_only_repositories_build_sql() -> None:
    outside = {
        path: sorted(names)
        for path, names in _sql_builders().items()
        if not _by_rule(path) and path not in EXCEPTIONS
    }
    assert outside == {}, "SQL built outside a repository: move it into one"


def test_every_exception_still_needs_its_place() -> None:
    """An exception whose module no longer builds SQL comes off the list."""
    builders = _sql_builders()
    assert [path for path in EXCEPTIONS if path not in builders] == []


def test_the_check_sees_sql() -> None:
    """The check itself finds builders, also imported lazily or from a dialect, and the
    repositories' own."""
    tree = ast.parse(
        "from sqlalchemy import Row, func, select\n"
        "def upsert():\n"
        "    from sqlalchemy.dialects.postgresql import insert\n"
        "import sqlalchemy\n"
    )
    assert _builders_imported(tree) == {"func", "select", "insert", "sqlalchemy"}
    assert "tracks/repository.py" in _sql_builders()
