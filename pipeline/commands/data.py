"""The DATA argument that train, evaluate and crossval share: one or more files read as one data set, their column
options, and the line on skipped rows."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from pipeline.labelled import LabelledData, combine_labelled, read_labelled, skipped_summary
from pipeline.taxonomy import Taxonomy


def add_data_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", type=Path, nargs="+", metavar="DATA",
                   help="uwagi z etykietami: CSV, XLSX lub JSON Lines; kilka plików to jeden zbiór")
    p.add_argument("--text-col", action="append", default=[], metavar="COL",
                   help="kolumna z treścią (można podać kilka razy, np. tytuł i opis)")
    p.add_argument("--label-col", metavar="COL",
                   help="kolumna z (główną) etykietą, jej identyfikatorem lub nazwą "
                        "(domyślnie: label lub primary_label)")
    p.add_argument("--labels-col", metavar="COL",
                   help="kolumna ze wszystkimi etykietami, rozdzielonymi '|' lub jako lista JSON, główna pierwsza "
                        "(domyślnie: labels)")


def add_train_only_argument(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument("--train-only", type=Path, nargs="+", default=[], metavar="FILE", help=help_text)


def read_data(args: argparse.Namespace, taxonomy: Taxonomy) -> LabelledData:
    """DATA (one file or several, as one data set) as the column options say, telling on stderr which rows of
    which file were skipped."""
    return combine_labelled(_read_parts(args.data, args, taxonomy))


def read_training_data(args: argparse.Namespace, taxonomy: Taxonomy) -> tuple[LabelledData, np.ndarray]:
    """DATA and then the `--train-only` files as one data set (groups made across all of them), and which rows
    came from the latter: learnt, never scored."""
    parts = _read_parts([*args.data, *args.train_only], args, taxonomy)
    data = combine_labelled(parts)
    extra = np.repeat([False] * len(args.data) + [True] * len(args.train_only), [len(p.texts) for p in parts])
    return data, extra


def _read_parts(paths: list[Path], args: argparse.Namespace, taxonomy: Taxonomy) -> list[LabelledData]:
    parts = []
    for path in paths:
        part = read_labelled(path, taxonomy, text_cols=args.text_col, label_col=args.label_col,
                             labels_col=args.labels_col)
        if part.skipped:
            print(f"uwagi: {path}: pominięto {skipped_summary(part.skipped)}", file=sys.stderr)
        parts.append(part)
    return parts
