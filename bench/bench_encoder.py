"""The sentence encoder: its throughput alone, and what `--encoder auto` adds to a first `uwagi run` (empty vector
cache) over `--encoder off`.

    .venv/bin/python bench/bench_encoder.py [--n 10000] [--texts 200]

Throughput is measured on the demo export's comments (an in-memory cache, so every text is encoded); the run
comparison uses the generated export of `bench_pipeline.py` and a fresh cache folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bench_pipeline import SAMPLE, write_export  # noqa: E402
from pipeline.config import ClassifyConfig, Config, ExportConfig, IngestConfig  # noqa: E402
from pipeline.encoder import DEFAULT_ENCODER, VectorCache, embed, get_encoder  # noqa: E402
from pipeline.job import run_job  # noqa: E402


def throughput(n_texts: int) -> None:
    texts = pd.read_csv(SAMPLE, sep=";", dtype=str, encoding="utf-8-sig")["Treść uwagi"].tolist()
    texts = [f"{t} ({i})" for i, t in enumerate((texts * (n_texts // len(texts) + 1))[:n_texts])]
    encoder = get_encoder(DEFAULT_ENCODER)
    tokens = sum(encoder.model.token_count(t) for t in texts)
    start = time.perf_counter()
    embed(texts, encoder, VectorCache.open(None))
    seconds = time.perf_counter() - start
    print(f"\n{DEFAULT_ENCODER}: {n_texts} comments ({tokens / n_texts:.0f} tokens on average) in {seconds:.1f} s: "
          f"{n_texts / seconds:.1f} comments/s, {tokens / seconds:,.0f} tokens/s (os.cpu_count() = {os.cpu_count()})")


def run_cost(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["UWAGI_CACHE_DIR"] = str(Path(tmp) / "cache")  # a first run: nothing cached
        export = Path(tmp) / "eksport.csv"
        write_export(n, export)
        base = Config(ingest=IngestConfig(id_col="Nr zgłoszenia", submitter_col="Typ zgłaszającego"))
        seconds = {}
        for mode in ("off", "auto"):
            cfg = replace(base, classify=ClassifyConfig(encoder=mode), export=ExportConfig(out_dir=Path(tmp) / mode))
            start = time.perf_counter()
            run_job([export], cfg)
            seconds[mode] = time.perf_counter() - start
        report = json.loads((Path(tmp) / "auto" / "run.json").read_text())["encoder"]
    print(f"\nuwagi run on {n:,} comments, first run: --encoder off {seconds['off']:.1f} s, --encoder auto "
          f"{seconds['auto']:.1f} s (+{seconds['auto'] - seconds['off']:.1f} s; {report['semantic']} comments "
          f"decided by the semantic model, {report['embedded_new']} embedded, budget {report['budget']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="comments in the generated export (0: skip the runs)")
    parser.add_argument("--texts", type=int, default=200, help="comments for the throughput figure")
    args = parser.parse_args()
    throughput(args.texts)
    if args.n:
        run_cost(args.n)


if __name__ == "__main__":
    main()
