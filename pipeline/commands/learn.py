"""uwagi learn: retrain the classifier from the corrections staff made in triage.xlsx."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.commands.options import out_dir_arg
from pipeline.learn import format_report, learn
from pipeline.resources import DEFAULT_MODEL, resource_path

NAME = "learn"
SYNOPSIS = "uwagi learn WORKBOOK [--model MODEL_DIR] --out NEW_MODEL_DIR"
HELP = ("Wczytaj poprawki z arkusza triage.xlsx (cel, decyzja, odpowiedź), zapisz je w nowym katalogu modelu "
        "i wytrenuj model ponownie.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("workbook", type=Path, metavar="WORKBOOK", help="triage.xlsx zapisany w Excelu lub LibreOffice")
    p.add_argument("--model", type=Path, metavar="MODEL_DIR",
                   help="model, z którym powstał arkusz (domyślnie: model dołączony do programu)")
    p.add_argument("--out", required=True, type=out_dir_arg, metavar="NEW_MODEL_DIR",
                   help="katalog nowego modelu (nieistniejący lub pusty); potem: uwagi run --model")


def handle(args: argparse.Namespace) -> int:
    model_dir = args.model or resource_path(*DEFAULT_MODEL)
    result = learn(args.workbook, model_dir, args.out)
    counts = result.counts
    print(
        f"uwagi: z arkusza {args.workbook.name}: {counts['labels']} poprawionych celów, {counts['decisions']} "
        f"decyzji, {counts['answers']} odpowiedzi; dane uczące: {counts['data']} uwag "
        f"(w tym {counts['corrected']} poprawionych przez pracowników)",
        file=sys.stderr,
    )
    print("F1 na predykcjach poza próbą (out-of-fold), stary i nowy model:")
    print(format_report(result.report, result.names))
    print(f"Nowy model: {result.out_dir}")
    return 0
