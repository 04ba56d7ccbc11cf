"""A nightly run with a state: N known comments, then the same export with M new ones.

    .venv/bin/python bench/bench_nightly.py [--known 10000] [--new 500]

The first night is a full run (every comment through every stage); the second reuses the stored results of the
known comments, so only the new ones go through the costly stages. The goal (issue 13): the second night takes at
most a tenth of the first. Times are wall-clock seconds of `run_job`, model loading included.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bench.bench_pipeline import write_export  # noqa: E402
from pipeline.config import Config, ExportConfig, IngestConfig, StateConfig  # noqa: E402
from pipeline.job import run_job  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--known", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "eksport.csv"
        write_export(args.known + args.new, export)
        everything = pd.read_csv(export, sep=";", dtype=str, keep_default_na=False)
        cfg = Config(ingest=IngestConfig(id_col="Nr zgłoszenia", submitter_col="Typ zgłaszającego"),
                     export=ExportConfig(out_dir=Path(tmp) / "out"), state=StateConfig(Path(tmp) / "stan.db"))
        seconds = []
        for rows in (args.known, args.known + args.new):
            everything.iloc[:rows].to_csv(export, sep=";", index=False)
            start = time.perf_counter()
            run_job([export], cfg)
            seconds.append(time.perf_counter() - start)
            manifest = json.loads((Path(tmp) / "out" / "run.json").read_text())
            print(f"night of {rows:,} comments: {seconds[-1]:.1f} s, counts {manifest['counts']}, "
                  f"stages {manifest['timings_s']}", flush=True)
    ratio = seconds[1] / seconds[0]
    print(f"\nfull run {seconds[0]:.1f} s; nightly run with {args.new:,} new on {args.known:,} known "
          f"{seconds[1]:.1f} s = {ratio:.3f} of the full run (goal: at most 0.100)")
    return 0 if ratio <= 0.1 else 1


if __name__ == "__main__":
    sys.exit(main())
