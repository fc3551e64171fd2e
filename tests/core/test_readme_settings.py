"""Every setting plyr reads is in the README's configuration table."""

from pathlib import Path

from plyr.core.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_has_a_row_in_the_readme_table() -> None:
    rows = {
        line.split("|")[1].strip().strip("`")
        for line in README.read_text().splitlines()
        if line.startswith("| `")
    }
    documented = " ".join(README.read_text().splitlines())
    missing = [
        field.alias or name
        for name, field in Settings.model_fields.items()
        if (field.alias or name) not in rows and f"`{field.alias or name}`" not in documented
    ]
    assert missing == [], f"settings missing from README.md's configuration table: {missing}"
