"""Locate bundled data (taxonomies, the default model) in a checkout and in an installed wheel, and read the
package's own tables (`pipeline/resources/`)."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
# pyproject.toml installs models/ and data/taxonomies/ as data files under <prefix>/share/uwagi.
_INSTALLED = Path(sys.prefix) / "share" / "uwagi"

DEFAULT_TAXONOMY = ("data", "taxonomies", "gdansk_ngo_2023.toml")
DEFAULT_MODEL = ("models", "gdansk_ngo_2023")


def resource_lines(name: str) -> list[str]:
    """The lines of a packaged table in `pipeline/resources/`, without blank lines and `#` comments."""
    text = resources.files("pipeline").joinpath("resources", name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def resource_path(*parts: str) -> Path:
    """The bundled file or folder, preferring the checkout the code runs from."""
    for base in (_CHECKOUT, _INSTALLED):
        candidate = base.joinpath(*parts)
        if candidate.exists():
            return candidate
    return _CHECKOUT.joinpath(*parts)
