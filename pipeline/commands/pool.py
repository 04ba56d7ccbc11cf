"""uwagi pool: one research table from the output folders of several consultations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.commands.options import out_dir_arg
from pipeline.errors import plural
from pipeline.pool import pool, write_pool

NAME = "pool"
SYNOPSIS = "uwagi pool OUT_DIR [OUT_DIR ...] --out DIR"
HELP = ("Połącz pliki dla badaczy (research.*) z katalogów wyników kilku konsultacji w jedną tabelę z kolumną "
        "consultation.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folders", nargs="+", type=Path, metavar="OUT_DIR", help="katalogi wyników polecenia uwagi run")
    p.add_argument("--out", required=True, type=out_dir_arg, metavar="DIR",
                   help="katalog na połączone research.csv i research.parquet")


def handle(args: argparse.Namespace) -> int:
    pooled = pool(args.folders)
    if len(pooled.taxonomies) > 1:
        print(f"uwagi: konsultacje mają różne taksonomie ({'; '.join(pooled.taxonomies)}): każdy cel zostaje przy "
              "swojej taksonomii (kolumna taxonomy), porównuj cele tylko w jej obrębie", file=sys.stderr)
    write_pool(pooled, args.out)
    consultations = pooled.table["consultation"].nunique()
    print(f"uwagi: połączono {plural(len(pooled.table), 'uwagę', 'uwagi', 'uwag')} z "
          f"{plural(consultations, 'konsultacji', 'konsultacji', 'konsultacji')}", file=sys.stderr)
    print(f"Tabela dla badaczy: {args.out / 'research.parquet'}")
    return 0
