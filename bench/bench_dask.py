"""Benchmark of the Dask engine against the local one on this machine.

    .venv/bin/python bench/bench_dask.py [--n 10000] [--partition-rows 2500]

A synthetic corpus with campaigns (tests/synthetic_campaigns.py) is written as a CSV and read once. The local
engine runs every stage; then the Dask engine runs the same table on a LocalCluster of 1 and of 2 worker
processes (one thread each). Prints one table: seconds per stage, comments/s per worker for the row-wise stages
(per-partition throughput), and clustering's time on Dask against the local stage (the shuffles' cost). The
Dask results are checked equal to the local table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="comments")
    parser.add_argument("--partition-rows", type=int, default=2_500)
    args = parser.parse_args()

    from distributed import LocalCluster
    from pandas.testing import assert_frame_equal

    from pipeline import STAGES, Config, IngestConfig, ingest, process
    from pipeline.config import EngineConfig, ExportConfig
    from pipeline.engines.dask import DaskEngine
    from synthetic_campaigns import make_corpus

    work = Path(tempfile.mkdtemp())
    corpus = make_corpus(args.n, seed=0).frame.rename(columns={"text_clean": "treść uwagi"})
    corpus[["treść uwagi"]].to_csv(work / "uwagi.csv", index=False)
    cfg = Config(ingest=IngestConfig(), export=ExportConfig(out_dir=work / "out"))
    comments, _ = ingest([work / "uwagi.csv"], cfg.ingest)

    start = time.perf_counter()
    local, seconds = process(comments, cfg)
    runs = {"local": (seconds, time.perf_counter() - start)}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit="4GB",
                          dashboard_address=None) as cluster:
            on_dask = cfg.with_(engine=EngineConfig(name="dask", scheduler=cluster.scheduler_address,
                                                    partition_rows=args.partition_rows))
            start = time.perf_counter()
            table, seconds = DaskEngine().process(comments, on_dask)
            runs[f"dask, {workers} worker{'s' if workers > 1 else ''}"] = (seconds, time.perf_counter() - start)
            assert_frame_equal(table, local)

    parts = -(-args.n // args.partition_rows)
    print(f"{args.n} comments, {parts} partitions of ≤{args.partition_rows} rows; Dask results equal to local\n")
    names = [s.info.name for s in STAGES]
    print(f"| run | {' | '.join(names)} | total s | comments/s |")
    print("|---" * (len(names) + 3) + "|")
    for run, (seconds, total) in runs.items():
        print(f"| {run} | {' | '.join(f'{seconds[n]:.1f}' for n in names)} | {total:.1f} | {args.n / total:.0f} |")
    row_wise = [s.info.name for s in STAGES if s.info.row_wise]
    print("\nper-worker throughput of the row-wise stages (comments/s):")
    for run, (seconds, _) in runs.items():
        workers = 2 if "2 workers" in run else 1
        print(f"  {run}: {args.n / sum(seconds[n] for n in row_wise) / workers:.0f}")
    print(f"\nclustering: local {runs['local'][0]['cluster']:.1f} s; on Dask (shuffles included) "
          + ", ".join(f"{run} {s['cluster']:.1f} s" for run, (s, _) in runs.items() if run != "local"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
