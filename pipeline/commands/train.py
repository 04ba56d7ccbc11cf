"""uwagi train: fit a classifier on labelled comments and save it with its model card."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.classify import train
from pipeline.commands.data import add_data_arguments, read_data
from pipeline.commands.options import out_dir_arg
from pipeline.export.atomic import check_out_dir
from pipeline.models import save_model
from pipeline.taxonomy import load_taxonomy

NAME = "train"
SYNOPSIS = "uwagi train DATA --taxonomy T --out MODEL_DIR [--text-col COL]... [--label-col COL] [--labels-col COL]"
HELP = "Wytrenuj klasyfikator celów programu na oznaczonych uwagach (CSV, XLSX, JSON Lines) i zapisz model."


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    p.add_argument("--taxonomy", required=True, type=Path, metavar="T", help="taksonomia celów (plik TOML)")
    p.add_argument("--out", required=True, type=out_dir_arg, metavar="MODEL_DIR",
                   help="katalog na model.joblib i model.json")


def handle(args: argparse.Namespace) -> int:
    check_out_dir(args.out)
    taxonomy = load_taxonomy(args.taxonomy)
    data = read_data(args, taxonomy)
    trained = train(data.texts, data.labels, taxonomy, groups=data.groups, comment_types=data.comment_types,
                    data_sha256=data.sha256, secondary=data.all_labels)
    trained.card["training_data"]["file"] = Path(args.data).name
    save_model(trained.model, trained.card, args.out)
    cv = trained.card["cross_validation"]
    print(f"uwagi: model zapisano w {args.out} ({len(data.texts)} uwag; walidacja krzyżowa: macro-F1 "
          f"{cv.get('macro_f1', 0):.3f}, trafność {cv.get('accuracy', 0):.3f})", file=sys.stderr)
    return 0
