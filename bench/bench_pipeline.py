"""End to end: `uwagi run` on a generated export of N comments, seconds per stage and peak RSS.

    .venv/bin/python bench/bench_pipeline.py [--n 10000]

The export is a `;`-separated UTF-8 CSV written from the synthetic corpus of the clustering tests (sentences of the
bundled sample, campaigns with personal additions, duplicates), with a submitter-type column. Timings are those
`run.json` records, so the table shows what a nightly run would spend where.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from pipeline.config import Config, ExportConfig, IngestConfig  # noqa: E402
from pipeline.job import run_job  # noqa: E402
from tests.synthetic_campaigns import make_corpus  # noqa: E402

SAMPLE = ROOT / "data" / "samples" / "konsultacje_2023_demo.csv"


def write_export(n: int, path: Path) -> None:
    sample = pd.read_csv(SAMPLE, sep=";", dtype=str, encoding="utf-8-sig")["Treść uwagi"].tolist()
    corpus = make_corpus(n, seed=0, sample=sample)
    kinds = ["osoba fizyczna", "organizacja pozarządowa", "grupa nieformalna"]
    frame = pd.DataFrame({"Nr zgłoszenia": [f"Z-{i:07d}" for i in range(n)],
                          "Treść uwagi": corpus.frame["text_clean"],
                          "Typ zgłaszającego": [kinds[i % 3] for i in range(n)]})
    frame.to_csv(path, sep=";", index=False, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="comments in the generated export")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["UWAGI_CACHE_DIR"] = str(Path(tmp) / "cache")  # a first run: no vectors cached by earlier ones
        export = Path(tmp) / "eksport.csv"
        write_export(args.n, export)
        cfg = Config(ingest=IngestConfig(id_col="Nr zgłoszenia", submitter_col="Typ zgłaszającego"),
                     export=ExportConfig(out_dir=Path(tmp) / "out"))
        start = time.perf_counter()
        result = run_job([export], cfg)
        total = time.perf_counter() - start
        manifest = json.loads((Path(tmp) / "out" / "run.json").read_text())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nuwagi run on {args.n:,} comments ({len(result.comments):,} rows written)\n")
    print(f"| {'stage':<12} | {'seconds':>8} | {'comments/s':>11} |")
    print(f"|{'-' * 14}|{'-' * 10}|{'-' * 13}|")
    for stage, seconds in manifest["timings_s"].items():
        rate = f"{args.n / seconds:,.0f}" if seconds > 0 else "-"
        print(f"| {stage:<12} | {seconds:>8.2f} | {rate:>11} |")
    print(f"| {'total':<12} | {total:>8.2f} | {args.n / total:>11,.0f} |")
    print(f"\npeak RSS {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
