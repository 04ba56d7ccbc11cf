"""uwagi evaluate: score a trained model on labelled comments."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from pipeline.classifier import load_classifier
from pipeline.commands.data import add_data_arguments, read_data
from pipeline.labelled import card_files
from pipeline.models import read_card
from pipeline.reports import classification_report, format_report

NAME = "evaluate"
SYNOPSIS = ("uwagi evaluate DATA... --model MODEL_DIR [--text-col COL]... [--label-col COL] [--labels-col COL] "
            "[--json]")
HELP = ("Oceń model na oznaczonych uwagach: precyzja, czułość i F1 dla etykiet, macro-F1, trafność, macierz pomyłek "
        "(i trafność typu uwagi, gdy dane mają kolumnę comment_type).")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    p.add_argument("--model", required=True, type=Path, metavar="MODEL_DIR", help="katalog wytrenowanego modelu")
    p.add_argument("--json", action="store_true", help="wypisz raport jako JSON")


def print_report(report: dict, taxonomy, as_json: bool) -> None:
    print(json.dumps(report, ensure_ascii=False, indent=2) if as_json else format_report(report, taxonomy))


def handle(args: argparse.Namespace) -> int:
    model = load_classifier(args.model)
    data = read_data(args, model.taxonomy)
    learnt = {sha for _, sha in card_files(read_card(args.model).get("training_data", {}))}
    for path, (_, sha) in zip(args.data, data.files):
        if sha in learnt:
            print(f"uwagi: {path}: model uczono na tym pliku, więc wynik jest zawyżony; rzetelną ocenę daje "
                  "uwagi crossval albo plik, którego model nie widział", file=sys.stderr)
    predicted = model.predict_frame(data.texts)
    report = classification_report(data.labels, predicted["label"], model.taxonomy.ids, predicted["needs_review"])
    if data.comment_types is not None:
        report["comment_type_accuracy"] = round(float(np.mean(predicted["comment_type"] == data.comment_types)), 4)
    print_report(report, model.taxonomy, args.json)
    return 0
