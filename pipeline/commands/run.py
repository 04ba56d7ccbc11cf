"""uwagi run: read consultation exports, run every stage, write the output folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.config import Config, ExportConfig, IngestConfig
from pipeline.job import run_job

NAME = "run"
SYNOPSIS = "uwagi run INPUT [INPUT ...] --out DIR [--text-col COL]... [--id-col COL] [--sheet NAME] [--encoding ENC]"
HELP = "Przetwórz pliki z uwagami (CSV, XLSX, JSON Lines) i zapisz arkusz triage.xlsx oraz pliki dla badaczy."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="CSV, XLSX or JSON Lines files, read as one batch")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    p.add_argument("--text-col", action="append", default=[], metavar="COL",
                   help="text column (repeatable; several are joined, each part labelled)")
    p.add_argument("--id-col", metavar="COL", help="column with the submission id")
    p.add_argument("--sheet", metavar="NAME", help="XLSX sheet (default: the first)")
    p.add_argument("--encoding", metavar="ENC", help="CSV encoding (default: detected)")


def config_from_args(args: argparse.Namespace) -> Config:
    return Config(
        ingest=IngestConfig(
            text_cols=tuple(args.text_col), id_col=args.id_col, sheet=args.sheet, encoding=args.encoding,
        ),
        export=ExportConfig(out_dir=args.out),
    )


def handle(args: argparse.Namespace) -> int:
    result = run_job(args.inputs, config_from_args(args))
    counts = result.manifest["counts"]
    print(
        f"uwagi: przetworzono {counts['written']} z {counts['read']} uwag "
        f"(puste: {counts['empty']}, błędy odczytu: {counts['errors']})",
        file=sys.stderr,
    )
    print(f"Arkusz dla zespołu: {result.workbook}")
    return 0
