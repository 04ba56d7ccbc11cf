"""Benchmark of the Dask engine against the local one on this machine: partition throughput, shuffles, 1 → 2 workers.

    .venv/bin/python bench/bench_dask.py [--n 10000] [--partition-rows 2500] [--encoder off]

A synthetic corpus with campaigns (tests/synthetic_campaigns.py) is written as a CSV and read once. The local
engine runs every stage in this process; then the Dask engine runs the same table on a LocalCluster of 1 and of 2
worker processes (one thread each), and its results are checked equal to the local table. Prints one table, a row
per run:

* wall and CPU seconds (this process, which also runs the LocalCluster's scheduler, plus the worker processes,
  counted by `getrusage` when they have exited);
* partition throughput: the rows of a partition over the seconds its row-wise stage tasks computed (median over
  the partitions; locally the whole table is one partition), from the scheduler's task stream;
* clustering's wall seconds and, within them, the seconds the shuffle tasks computed (splitting, grouping and
  concatenating partitions by key), the shuffles' cost;
* the speed-up of the run's wall time over the one-worker run.

The sentence encoder is off by default: with `--encoder auto` the first run embeds the batch's new vectors and
caches them, so the runs after it would skip that work and not compare like for like.

    .venv/bin/python bench/bench_dask.py --reading [--n 100000] [--files 4] [--partition-rows 20000]

compares only the reading (no stage runs) on a LocalCluster of 2 workers: `ingest` on the client with its table
sent to the workers as partitions (how a nightly run reads), against the workers reading the files
(`DaskEngine.process_inputs`, a plain run), each in a process of its own so that its peak RSS (`ru_maxrss`) is
the reading's. Prints wall and CPU seconds, the reading's seconds (ingest's on the client; the reading tasks'
compute seconds on the workers) per partition, and the client's peak RSS, and checks both tables equal.

    .venv/bin/python bench/bench_dask.py --export [--n 100000] [--files 4] [--partition-rows 20000]

runs the whole job (`run_job`, every stage and every output) on a LocalCluster of 2 workers twice, each in a process
of its own: with the final table gathered on the client (`spill_rows` above the batch, as every Dask run did
before), and exported from the partitions (the default `spill_rows`: the workers write the parts, the client holds
the workbook's rows). Prints wall and CPU seconds, the export's seconds, the client's peak RSS, and checks both runs
wrote the same comments.csv, clusters.csv and themes.csv.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

# Task names of dask's task-based shuffle (dask.dataframe.dask_expr._shuffle): each row's output partition, a
# partition split by it, the pieces grouped, each output partition put together.
SHUFFLE_TASKS = frozenset({"set_partitions_pre", "split-taskshuffle", "group-taskshuffle", "taskshuffle"})


@dataclass
class Run:
    name: str
    wall: float
    cpu: float
    stages: dict[str, float]
    partition_throughput: float
    shuffle_seconds: float | None = None
    notes: list[str] = field(default_factory=list)


def cpu_seconds() -> float:
    """User and system CPU of this process and of its children that have exited."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def task_seconds(stream: list[dict[str, Any]]) -> dict[tuple[str, int | None], float]:
    """Compute seconds per (task name prefix, partition) from the scheduler's task stream."""
    out: dict[tuple[str, int | None], float] = defaultdict(float)
    for task in stream:
        key = task["key"]
        name, part = (key[0], key[1]) if isinstance(key, tuple) and len(key) > 1 else (str(key), None)
        prefix = name.rsplit("-", 1)[0] if "-" in name else name
        for span in task["startstops"]:
            if span["action"] == "compute":
                out[(prefix, part if isinstance(part, int) else None)] += span["stop"] - span["start"]
    return out


def compute_seconds(stream: list[dict[str, Any]]) -> float:
    return sum(s for s in task_seconds(stream).values())


def peak_mb() -> float:
    """This process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """This process's resident memory now."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def read_here(where: str, paths: list[Path], partition_rows: int) -> dict[str, Any]:
    """One reading of `paths` with no stage, the inputs read on the `client` or on the `workers`; what it took."""
    import pandas as pd
    from distributed import Client, LocalCluster, get_task_stream

    from pipeline import Config, ingest
    from pipeline.config import EngineConfig
    from pipeline.engines.dask import DaskEngine, partitions

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="4GB",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        # The workers import uwagi before the clock starts: in a run the reading or the first stage pays it.
        client.run(importlib.import_module, "pipeline.engines.dask_reading")
        cfg = Config(engine=EngineConfig(name="dask", scheduler=cluster.scheduler_address,
                                         partition_rows=partition_rows))
        ready = rss_mb()
        cpu, start = cpu_seconds(), time.perf_counter()
        with get_task_stream(client) as stream:
            if where == "client":
                began = time.perf_counter()
                comments, _ = ingest(paths, cfg.ingest)
                reading = time.perf_counter() - began
                table, _ = DaskEngine().process(comments, cfg, ())
                del comments
            else:
                table, seconds = DaskEngine().process_inputs(paths, cfg, (), on_read=lambda files, took: None)
                reading = seconds["ingest"]
        tasks, wall = compute_seconds(stream.data), time.perf_counter() - start
    # The workers' CPU is counted once they have exited.
    return {"where": where, "wall": wall, "cpu": cpu_seconds() - cpu, "reading": reading,
            "tasks": tasks, "partitions": partitions(table, partition_rows).npartitions, "rows": len(table), "ready_mb": ready,
            "peak_mb": peak_mb(), "table": int(pd.util.hash_pandas_object(table.reset_index(drop=True)).sum())}


def export_here(where: str, paths: list[Path], partition_rows: int, out: Path) -> dict[str, Any]:
    """One whole run of `paths` on Dask, the final table `gathered` on the client or kept in `parts`."""
    import hashlib

    from distributed import Client, LocalCluster

    from pipeline import Config, job, run_job
    from pipeline.config import ClassifyConfig, EngineConfig, ExportConfig

    # The client's peak up to the export (the stages, and the final table gathered or not), apart from the export's.
    stages_peak, write_run = [], job._write_run

    def exporting(*args: Any, **kwargs: Any) -> Any:
        stages_peak.append(peak_mb())
        return write_run(*args, **kwargs)

    job._write_run = exporting
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="4GB",
                      dashboard_address=None) as cluster, Client(cluster):
        engine = EngineConfig(name="dask", scheduler=cluster.scheduler_address, partition_rows=partition_rows)
        cfg = Config(classify=ClassifyConfig(encoder="off"), export=ExportConfig(out_dir=out),
                     engine=replace(engine, spill_rows=10**9) if where == "gathered" else engine)
        ready = rss_mb()
        cpu, start = cpu_seconds(), time.perf_counter()
        result = run_job(paths, cfg)
        wall = time.perf_counter() - start
    return {"where": where, "wall": wall, "cpu": cpu_seconds() - cpu, "ready_mb": ready, "peak_mb": peak_mb(),
            "stages_peak_mb": stages_peak[0], "timings": result.manifest["timings_s"],
            "rows": result.manifest["counts"]["written"],
            "files": {name: hashlib.sha256((out / name).read_bytes()).hexdigest()
                      for name in ("comments.csv", "clusters.csv", "themes.csv")}}


def compared(args: argparse.Namespace, flag: str, modes: tuple[str, str], same: str, setting: str
             ) -> list[dict[str, Any]]:
    """The synthetic corpus as `args.files` CSV files, then this script with `flag` once per mode, each in a fresh
    process (its peak RSS its own); their results, checked to have the same `same`. Prints `setting` and the
    machine's."""
    import subprocess

    from synthetic_campaigns import make_corpus

    work = Path(tempfile.mkdtemp())
    corpus = make_corpus(args.n, seed=0).frame.rename(columns={"text_clean": "treść uwagi"})[["treść uwagi"]]
    paths = [work / f"uwagi-{i}.csv" for i in range(args.files)]
    bounds = [round(i * len(corpus) / args.files) for i in range(args.files + 1)]
    for path, lo, hi in zip(paths, bounds, bounds[1:]):
        corpus.iloc[lo:hi].to_csv(path, index=False)
    del corpus
    runs, load = [], [os.getloadavg()[0]]
    for mode in modes:
        done = subprocess.run([sys.executable, __file__, flag, mode, "--partition-rows", str(args.partition_rows),
                               "--out", str(work / mode), *map(str, paths)], capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"the {mode} run failed:\n{done.stderr[-3000:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        load.append(os.getloadavg()[0])
    assert runs[0][same] == runs[1][same] and runs[0]["rows"] == args.n, f"the two runs differ: {modes}"
    print(setting.format(partitions=runs[0].get("partitions")))
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; 1-minute load average "
          f"{min(load):.1f}–{max(load):.1f} during the runs\n")
    return runs


def export(args: argparse.Namespace) -> int:
    """The whole run with the final table gathered on the client against exported from the partitions."""
    runs = compared(args, "--export-on", ("gathered", "parts"), "files",
                    f"{args.n} comments in {args.files} CSV files, partitions of ≤{args.partition_rows} rows, "
                    "LocalCluster of 2 workers, encoder off; comments.csv, clusters.csv, themes.csv equal")
    print("| final table | wall s | CPU s | themes s | export s | client RSS at start MB "
          "| client peak RSS before the export MB | client peak RSS MB |")
    print("|---" * 8 + "|")
    for run in runs:
        print(f"| {run['where']} | {run['wall']:.1f} | {run['cpu']:.1f} | {run['timings']['themes']:.1f} "
              f"| {run['timings']['export']:.1f} | {run['ready_mb']:.0f} | {run['stages_peak_mb']:.0f} "
              f"| {run['peak_mb']:.0f} |")
    return 0


def reading(args: argparse.Namespace) -> int:
    """The reading on the client against the reading on the workers, each in a fresh process."""
    runs = compared(args, "--read-on", ("client", "workers"), "table",
                    f"{args.n} comments in {args.files} CSV files, {{partitions}} partitions of "
                    f"≤{args.partition_rows} rows, LocalCluster of 2 workers, no stage; tables equal")
    print("| inputs read on | wall s | CPU s | reading s | reading s per partition | client RSS at start MB "
          "| client peak RSS MB |")
    print("|---" * 7 + "|")
    for run in runs:
        # On the client the reading is ingest's, in one process; on the workers, its tasks' compute seconds.
        spent = run["reading"] if run["where"] == "client" else run["tasks"]
        print(f"| {run['where']} | {run['wall']:.1f} | {run['cpu']:.1f} | {run['reading']:.1f} "
              f"| {spent / run['partitions']:.2f} | {run['ready_mb']:.0f} | {run['peak_mb']:.0f} |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="comments")
    parser.add_argument("--partition-rows", type=int, default=2_500)
    parser.add_argument("--encoder", default="off", help="classify's --encoder (off, auto, on)")
    parser.add_argument("--reading", action="store_true", help="compare reading on the client and on the workers")
    parser.add_argument("--files", type=int, default=4, help="CSV files the corpus is written to (--reading)")
    parser.add_argument("--export", action="store_true",
                        help="compare a whole run with the final table gathered on the client and kept in parts")
    parser.add_argument("--read-on", choices=("client", "workers"), help=argparse.SUPPRESS)
    parser.add_argument("--export-on", choices=("gathered", "parts"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read_on:
        print(json.dumps(read_here(args.read_on, args.paths, args.partition_rows)))
        return 0
    if args.export_on:
        print(json.dumps(export_here(args.export_on, args.paths, args.partition_rows, args.out)))
        return 0
    if args.reading:
        return reading(args)
    if args.export:
        return export(args)

    from distributed import Client, LocalCluster, get_task_stream
    from pandas.testing import assert_frame_equal

    from pipeline import STAGES, Config, IngestConfig, ingest, process
    from pipeline.config import ClassifyConfig, EngineConfig, ExportConfig
    from pipeline.engines.dask import DaskEngine, partitions
    from pipeline.export.research import ResearchContext
    from synthetic_campaigns import make_corpus

    work = Path(tempfile.mkdtemp())
    corpus = make_corpus(args.n, seed=0).frame.rename(columns={"text_clean": "treść uwagi"})
    corpus[["treść uwagi"]].to_csv(work / "uwagi.csv", index=False)
    cfg = Config(ingest=IngestConfig(), classify=ClassifyConfig(encoder=args.encoder),
                 export=ExportConfig(out_dir=work / "out"))
    comments, _ = ingest([work / "uwagi.csv"], cfg.ingest)
    row_wise = [s.info.name for s in STAGES if s.info.row_wise]
    sizes = partitions(comments, args.partition_rows).map_partitions(len).compute().tolist()
    load = [os.getloadavg()[0]]

    cpu, start = cpu_seconds(), time.perf_counter()
    local, seconds = process(comments, cfg)
    runs = [Run("local", time.perf_counter() - start, cpu_seconds() - cpu, seconds,
                args.n / sum(seconds[n] for n in row_wise))]
    load.append(os.getloadavg()[0])
    for workers in (1, 2):
        cpu, start = cpu_seconds(), time.perf_counter()
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit="4GB",
                          dashboard_address=None) as cluster, Client(cluster) as client:
            on_dask = cfg.with_(engine=EngineConfig(name="dask", scheduler=cluster.scheduler_address,
                                                    partition_rows=args.partition_rows))
            with get_task_stream(client) as stream:
                table, seconds = DaskEngine(ResearchContext()).process(comments, on_dask)  # research/ parts too
            tasks = task_seconds(stream.data)
        wall = time.perf_counter() - start  # the cluster's start and stop included: workers load nothing before
        assert_frame_equal(table, local)
        per_partition = [size / sum(tasks.get((n, i), 0.0) for n in row_wise) for i, size in enumerate(sizes)]
        shuffles = sum(s for (prefix, _), s in tasks.items() if prefix in SHUFFLE_TASKS)
        runs.append(Run(f"dask, {workers} worker{'s' if workers > 1 else ''}", wall, cpu_seconds() - cpu, seconds,
                        statistics.median(per_partition), shuffles))
        load.append(os.getloadavg()[0])

    print(f"{args.n} comments, {len(sizes)} partitions of ≤{args.partition_rows} rows, encoder {args.encoder}; Dask "
          "results equal to local")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; 1-minute load average "
          f"{min(load):.1f}–{max(load):.1f} during the runs\n")
    print("| run | wall s | CPU s | row-wise stages s | partition throughput (comments/s) | cluster s "
          "| shuffle tasks s | speed-up over 1 worker |")
    print("|---" * 8 + "|")
    one = runs[1].wall
    for run in runs:
        shuffle = "–" if run.shuffle_seconds is None else f"{run.shuffle_seconds:.1f}"
        speedup = "–" if run.name == "local" else f"{one / run.wall:.2f}×"
        print(f"| {run.name} | {run.wall:.1f} | {run.cpu:.1f} | {sum(run.stages[n] for n in row_wise):.1f} "
              f"| {run.partition_throughput:.0f} | {run.stages['cluster']:.1f} | {shuffle} | {speedup} |")
    names = [s.info.name for s in STAGES]
    print(f"\nseconds per stage ({', '.join(names)}):")
    for run in runs:
        print(f"  {run.name}: {', '.join(f'{run.stages[n]:.1f}' for n in names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
