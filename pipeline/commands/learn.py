"""uwagi learn: retrain the classifier from the corrections staff made in triage.xlsx."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from pipeline.commands.options import out_dir_arg
from pipeline.learn import learn, learn_from_state
from pipeline.resources import DEFAULT_MODEL, resource_path

NAME = "learn"
SYNOPSIS = "uwagi learn (WORKBOOK | --state STATE) [--model MODEL_DIR] --out NEW_MODEL_DIR"
HELP = ("Wczytaj poprawki z arkusza triage.xlsx (cel, decyzja, odpowiedź) albo z pliku stanu nocnych przebiegów, "
        "zapisz je w nowym katalogu modelu i wytrenuj model ponownie.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("workbook", nargs="?", type=Path, metavar="WORKBOOK",
                        help="triage.xlsx zapisany w Excelu lub LibreOffice")
    source.add_argument("--state", type=Path, metavar="STATE",
                        help="plik stanu (uwagi run --state): wpisy pracowników ze wszystkich wczytanych arkuszy")
    p.add_argument("--model", type=Path, metavar="MODEL_DIR",
                   help="model, z którym powstał arkusz (domyślnie: model dołączony do programu)")
    p.add_argument("--out", required=True, type=out_dir_arg, metavar="NEW_MODEL_DIR",
                   help="katalog nowego modelu (nieistniejący lub pusty); potem: uwagi run --model")


def format_report(report: pd.DataFrame, names: Mapping[str, str]) -> str:
    """The old-vs-new comparison (`pipeline.retrain.compare_out_of_fold`) as a plain-text table for the terminal."""
    width = max([len(names.get(lb, lb)) for lb in report["label"]] + [len("macro-F1")])
    lines = [f"{'cel':<{width}}  {'uwag':>5}  {'F1 stary':>8}  {'F1 nowy':>8}  {'zmiana':>7}"]
    for row in report.itertuples(index=False):
        lines.append(f"{names.get(row.label, row.label):<{width}}  {row.n:>5}  {row.f1_old:>8.3f}  "
                     f"{row.f1_new:>8.3f}  {row.f1_new - row.f1_old:>+7.3f}")
    a = report.attrs
    lines.append(f"{'macro-F1':<{width}}  {int(report['n'].sum()):>5}  {a['macro_old']:>8.3f}  "
                 f"{a['macro_new']:>8.3f}  {a['macro_new'] - a['macro_old']:>+7.3f}")
    lines.append(f"Uwagi z celem wskazanym przez pracowników: {a['corrected']}; trafione poza próbą: "
                 f"stary model {a['corrected_right_old']}, nowy {a['corrected_right_new']} "
                 f"({a['folds']}-krotna walidacja krzyżowa; kampanie i powtórzone teksty w jednej części).")
    return "\n".join(lines)


def handle(args: argparse.Namespace) -> int:
    model_dir = args.model or resource_path(*DEFAULT_MODEL)
    if args.state is not None:
        result, source = learn_from_state(args.state, model_dir, args.out), f"z pliku stanu {args.state.name}"
    else:
        result, source = learn(args.workbook, model_dir, args.out), f"z arkusza {args.workbook.name}"
    counts = result.counts
    print(
        f"uwagi: {source}: {counts['labels']} poprawionych celów, {counts['decisions']} "
        f"decyzji, {counts['answers']} odpowiedzi; dane uczące: {counts['data']} uwag "
        f"(w tym {counts['corrected']} poprawionych przez pracowników)",
        file=sys.stderr,
    )
    print("F1 na predykcjach poza próbą (out-of-fold), stary i nowy model:")
    print(format_report(result.report, result.names))
    print(f"Nowy model: {result.out_dir}")
    return 0
