"""uwagi learn: retrain the classifier from the corrections staff made in triage.xlsx or kept in the nightly state."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from pipeline.campaign_spread import Spread
from pipeline.commands.options import out_dir_arg
from pipeline.errors import plural
from pipeline.export.atomic import check_out_dir
from pipeline.learn import learn, learn_from_state, recorded_model
from pipeline.resources import DEFAULT_MODEL, resource_path
from pipeline.sheets import SHEET_INFO, group_kind
from pipeline.vocabulary import KIND_CAMPAIGN

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
                   help="model, od którego uczyć (domyślnie: ten, z którym powstał arkusz, zapisany w arkuszu "
                        "„Informacje”; bez takiego zapisu model dołączony do programu)")
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


def describe_counts(source: str, counts: Mapping[str, int]) -> str:
    """What learn read (`source`: "z arkusza …", "z pliku stanu …") and trained on, in words staff read
    ("2 poprawione cele", "4 decyzje")."""
    return (
        f"uwagi: {source}: "
        f"{plural(counts['labels'], 'poprawiony cel', 'poprawione cele', 'poprawionych celów')}, "
        f"{plural(counts['decisions'], 'decyzja', 'decyzje', 'decyzji')}, "
        f"{plural(counts['answers'], 'odpowiedź', 'odpowiedzi', 'odpowiedzi')}; dane uczące: "
        f"{plural(counts['data'], 'uwaga', 'uwagi', 'uwag')} (w tym "
        f"{plural(counts['corrected'], 'poprawiona', 'poprawione', 'poprawionych')} przez pracowników)"
    )


_FIELD_WORDS = {"label": "cel", "decision": "decyzja", "answer": "odpowiedź"}


def describe_spread(spread: Spread, names: Mapping[str, str]) -> str:
    """One correction reaching a whole campaign, as staff read it: which row, which group, how many comments."""
    others = plural(spread.comments, "innej uwagi", "innych uwag", "innych uwag")
    group = f"{'kampanię' if group_kind(spread.group) == KIND_CAMPAIGN else 'grupę duplikatów'} {spread.group}"
    if spread.field == "label":
        return (f"uwagi: poprawka celu z wiersza {spread.row} („{names.get(spread.value, spread.value)}”) obejmuje "
                f"całą {group}: zmienia cel {others}")
    return f"uwagi: {_FIELD_WORDS[spread.field]} z wiersza {spread.row} obejmuje całą {group}: trafia też do {others}"


def base_model(workbook: Path, given: Path | None) -> Path:
    """--model, else the model the workbook was made with, else the bundled one; says which when not given."""
    if given is not None:
        return given
    recorded = recorded_model(workbook)
    if recorded is None:
        print("uwagi: arkusz nie podaje modelu, z którym powstał; uczę od modelu dołączonego do programu "
              "(inny wskaż opcją --model)", file=sys.stderr)
        return resource_path(*DEFAULT_MODEL)
    print(f"uwagi: uczę od modelu, z którym powstał arkusz (arkusz „{SHEET_INFO}”): {recorded}", file=sys.stderr)
    return recorded


# Out-of-fold macro-F1 differences smaller than this are noise on data of this size.
_SAME_F1 = 0.005


def advice(report: pd.DataFrame, old: Path, new: Path) -> str:
    """Whether the new model is better than the old one on the combined data, and which one to run with."""
    old_f1, new_f1 = report.attrs["macro_old"], report.attrs["macro_new"]
    scores = f"macro-F1 poza próbą na połączonych danych: nowy {new_f1:.3f}, stary {old_f1:.3f}"
    if new_f1 >= old_f1 + _SAME_F1:
        return f"Nowy model jest lepszy ({scores}). Używaj go: uwagi run --model {new}"
    if new_f1 > old_f1 - _SAME_F1:
        return (f"Nowy model jest tak samo dobry ({scores}). Używaj go, bo zna poprawki z arkusza: "
                f"uwagi run --model {new}")
    return (f"Nowy model jest gorszy ({scores}). Zostań przy starym (uwagi run --model {old}) i sprawdź poprawione "
            f"cele w tabeli powyżej; nowy katalog zachowuje poprawki, decyzje i odpowiedzi na później.")


def handle(args: argparse.Namespace) -> int:
    check_out_dir(args.out)  # a bad --out is told before the workbook is opened, as `run` does
    if args.state is not None:
        model_dir = args.model or resource_path(*DEFAULT_MODEL)
        result, source = learn_from_state(args.state, model_dir, args.out), f"z pliku stanu {args.state.name}"
    else:
        model_dir = base_model(args.workbook, args.model)
        result, source = learn(args.workbook, model_dir, args.out), f"z arkusza {args.workbook.name}"
    print(describe_counts(source, result.counts), file=sys.stderr)
    for spread in result.spreads:
        print(describe_spread(spread, result.names), file=sys.stderr)
    print("F1 na predykcjach poza próbą (out-of-fold), stary i nowy model:")
    print(format_report(result.report, result.names))
    print(f"Nowy model: {result.out_dir}")
    print(advice(result.report, model_dir, result.out_dir))
    return 0
