"""uwagi report: raport.html, a self-contained page with counts and charts of an output folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.report import write_report

NAME = "report"
SYNOPSIS = "uwagi report OUT_DIR"
HELP = ("Zapisz raport.html w katalogu wyników: liczby, cele, statusy, kampanie i tematy z wykresami, w jednym pliku "
        "do wysłania.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="katalog wyników polecenia uwagi run")


def handle(args: argparse.Namespace) -> int:
    print(f"Raport: {write_report(args.out_dir)}")
    return 0
