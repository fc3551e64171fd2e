"""Docs or fail (as Datasette does): every lexicon plyr ships and every `plyr` command is
named in the README. Settings have their own test (tests/core/test_readme_settings.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer

import plyr
from plyr.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
LEXICONS = Path(plyr.__file__).parent / "lexicons"


def lexicon_ids() -> list[str]:
    return sorted(json.loads(path.read_text())["id"] for path in LEXICONS.glob("*.json"))


def command_lines(group: Any, prefix: str = "plyr") -> list[str]:
    """`plyr serve`, `plyr db upgrade`, …: every leaf command, as it is typed (typer's groups
    are click groups, from the click typer bundles: they are told by their `commands`)."""
    lines = []
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            lines += command_lines(command, f"{prefix} {name}")
        else:
            lines.append(f"{prefix} {name}")
    return lines


COMMANDS = command_lines(typer.main.get_group(app))


def test_the_lists_are_not_empty() -> None:
    assert "fm.plyr.track" in lexicon_ids()
    assert {"plyr serve", "plyr worker", "plyr db upgrade"} <= set(COMMANDS)


@pytest.mark.parametrize("nsid", lexicon_ids())
def test_every_lexicon_is_named_in_the_readme(nsid: str) -> None:
    assert f"`{nsid}`" in README, f"README.md never names the lexicon `{nsid}`"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_cli_command_is_shown_in_the_readme(command: str) -> None:
    # in a code span or block: the command, then its options, a backtick or the line's end
    shown = re.search(rf"{re.escape(command)}(?=[ `\n])", README)
    assert shown, f"README.md never shows `{command}`"
