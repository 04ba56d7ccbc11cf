"""uwagi crossval: grouped cross-validation of the classifier on labelled comments, without saving a model."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from pipeline.classify import classification_report, cross_validate, grouped_folds
from pipeline.commands.evaluate import print_report
from pipeline.commands.data import add_data_arguments, read_data
from pipeline.comment_type import cross_validated_accuracy
from pipeline.features import analyse
from pipeline.taxonomy import load_taxonomy

NAME = "crossval"
SYNOPSIS = ("uwagi crossval DATA --taxonomy T [--text-col COL]... [--label-col COL] [--labels-col COL] "
            "[--json]")
HELP = ("Walidacja krzyżowa (5 części, kampanie i powtórzone teksty zawsze w jednej części): ten sam raport co "
        "evaluate, z przewidywań poza próbą uczącą.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    p.add_argument("--taxonomy", required=True, type=Path, metavar="T", help="taksonomia celów (plik TOML)")
    p.add_argument("--json", action="store_true", help="wypisz raport jako JSON")


def handle(args: argparse.Namespace) -> int:
    taxonomy = load_taxonomy(args.taxonomy)
    data = read_data(args, taxonomy)
    analysed = analyse(data.texts)
    oof = cross_validate(analysed, data.labels, taxonomy, groups=data.groups, secondary=data.all_labels)
    report = classification_report(data.labels, oof["label"], taxonomy.ids, oof["needs_review"])
    if data.comment_types is not None:
        folds = grouped_folds(np.asarray(data.labels, dtype=object), data.groups)
        report["comment_type_accuracy"] = cross_validated_accuracy(analysed, data.comment_types, folds)
    print_report(report, taxonomy, args.json)
    return 0
