"""The DATA argument that train, evaluate and crossval share: one or more files read as one data set, their column
options, and the line on skipped rows."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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


def read_data(args: argparse.Namespace, taxonomy: Taxonomy) -> LabelledData:
    """DATA (one file or several, as one data set) as the column options say, telling on stderr which rows of
    which file were skipped."""
    parts = []
    for path in args.data:
        part = read_labelled(path, taxonomy, text_cols=args.text_col, label_col=args.label_col,
                             labels_col=args.labels_col)
        if part.skipped:
            print(f"uwagi: {path}: pominięto {skipped_summary(part.skipped)}", file=sys.stderr)
        parts.append(part)
    return combine_labelled(parts)
