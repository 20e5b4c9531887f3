"""The README promises what the code does: its field tables list every field of every form."""

from __future__ import annotations

from pathlib import Path

from chalicelib.core.forms import FormRegistry

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_the_readme_lists_every_field_of_every_form_under_its_form() -> None:
    for form in FormRegistry.load():
        section = README.split(f"**`{form.name}`**", 1)[1].split("\n\n", 2)[1]
        listed = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
        assert listed == list(form.properties), form.name
