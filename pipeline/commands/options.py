"""Option types the subcommands share."""

from __future__ import annotations

import argparse
from pathlib import Path


def out_dir_arg(value: str) -> Path:
    """argparse type of --out: an empty string would silently mean the current folder."""
    if not value.strip():
        raise argparse.ArgumentTypeError("pusta ścieżka; podaj katalog")
    return Path(value)
