"""Option types the subcommands share."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.polish import backends


def out_dir_arg(value: str) -> Path:
    """argparse type of --out: an empty string would silently mean the current folder."""
    if not value.strip():
        raise argparse.ArgumentTypeError("pusta ścieżka; podaj katalog")
    return Path(value)


def add_lemmatizer_argument(p: argparse.ArgumentParser, default: str | None, help: str) -> None:
    """--lemmatizer, choosing among the registered backends of the Polish layer."""
    p.add_argument("--lemmatizer", choices=backends(), default=default, help=help)


def positive_int(value: str) -> int:
    """argparse type of a count such as --jobs: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} to nie liczba całkowita dodatnia")
    return number
