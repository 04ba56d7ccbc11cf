"""Locate bundled data (taxonomies, the default model) in a checkout and in an installed wheel."""

from __future__ import annotations

import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
# pyproject.toml installs models/ and data/taxonomies/ as data files under <prefix>/share/uwagi.
_INSTALLED = Path(sys.prefix) / "share" / "uwagi"

DEFAULT_TAXONOMY = ("data", "taxonomies", "gdansk_ngo_2023.toml")
DEFAULT_MODEL = ("models", "gdansk_ngo_2023")


def resource_path(*parts: str) -> Path:
    """The bundled file or folder, preferring the checkout the code runs from."""
    for base in (_CHECKOUT, _INSTALLED):
        candidate = base.joinpath(*parts)
        if candidate.exists():
            return candidate
    return _CHECKOUT.joinpath(*parts)
