"""Memory per stage of `uwagi run`: peak RSS of the main process and of the worker processes while each stage and
each export step runs, above the RSS once the table is read.

    .venv/bin/python bench/bench_memory.py [--sizes 20000 50000] [--jobs 1 2]

The exports are `bench_pipeline.write_export`'s. Each (size, jobs) pair runs in a process of its own; a thread
samples RSS (psutil) every 20 ms, of this process and of all its children together (the workers). The stages mark
their ends through the run log (`RunLog.stage`; the row-wise stages of one map in the workers end together and
show as one row), the export's steps by wrapping the functions `job.py` calls. "above the table" is the peak minus
the main process's RSS at the end of ingest (imports, the model and the read table); "MB per 10k" divides that by
the size, which is how the stage's memory grows with the input.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

import pipeline.job as job  # noqa: E402
from bench.bench_pipeline import ID, SUBMITTER, write_export  # noqa: E402
from pipeline.config import ClassifyConfig, Config, EngineConfig, ExportConfig, IngestConfig  # noqa: E402
from pipeline.engines.workers import WorkerPool  # noqa: E402
from pipeline.process import STAGES  # noqa: E402
from pipeline.runlog import RunLog  # noqa: E402

NAMES = [s.info.name for s in STAGES]
# The functions of job.py whose time is one row each (the export's steps); the stages report themselves.
EXPORT_STEPS = ("cluster_table", "write_csv", "write_full_table", "theme_table", "write_research", "write_parts",
                "write_workbook")


class Sampler(threading.Thread):
    """RSS of this process and of its children every `interval` seconds, labelled with the step running."""

    def __init__(self, interval: float = 0.02):
        super().__init__(daemon=True)
        self.interval, self.step, self.samples = interval, "start", []
        self.baseline = 0.0
        self._halt = threading.Event()
        self._me = psutil.Process()

    def rss(self) -> tuple[float, float]:
        children = 0
        for child in self._me.children(recursive=True):
            try:
                children += child.memory_info().rss
            except psutil.Error:  # ended between the listing and the reading
                pass
        return self._me.memory_info().rss / 2**20, children / 2**20

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append((self.step, *self.rss()))
            time.sleep(self.interval)

    def mark(self, step: str) -> None:
        self.samples.append((self.step, *self.rss()))
        self.step = step

    def stop(self) -> None:
        self._halt.set()
        self.join()
        self.samples.append((self.step, *self.rss()))


class MarkingLog(RunLog):
    """A run log that tells the sampler which stage comes next: the one after the stage that just ended."""

    def __init__(self, sampler: Sampler):
        super().__init__()
        self.sampler = sampler
        self.following = dict(zip(["ingest", *NAMES], [*NAMES, "export"]))

    def stage(self, name: str, rows: int, seconds: float) -> None:
        if name == "ingest":
            self.sampler.baseline = self.sampler.rss()[0]
        if name in self.following and not self.sampler.step.startswith("export"):
            self.sampler.mark(self.following[name])


def marked(sampler: Sampler, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        before = sampler.step
        sampler.mark(f"export: {name}")
        try:
            return fn(*args, **kwargs)
        finally:
            sampler.mark(before)

    return run


def marked_map(sampler: Sampler, fn: Callable[..., Any]) -> Callable[..., Any]:
    """`WorkerPool.map`, telling the sampler which stages the workers run."""
    @functools.wraps(fn)
    def run(self: WorkerPool, df: Any, stages: Any) -> Any:
        sampler.mark("workers: " + " + ".join(s.info.name for s in stages))
        return fn(self, df, stages)

    return run


def measure(export: Path, out_dir: Path, jobs: int) -> dict[str, Any]:
    sampler = Sampler()
    for name in EXPORT_STEPS:
        setattr(job, name, marked(sampler, name, getattr(job, name)))
    WorkerPool.map = marked_map(sampler, WorkerPool.map)
    cfg = Config(ingest=IngestConfig(id_col=ID, submitter_col=SUBMITTER), classify=ClassifyConfig(encoder="off"),
                 export=ExportConfig(out_dir=out_dir), engine=EngineConfig(jobs=jobs))
    sampler.start()
    sampler.mark("ingest")
    start = time.perf_counter()
    result = job.run_job([export], cfg, MarkingLog(sampler))
    wall = time.perf_counter() - start
    sampler.stop()
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    steps: dict[str, list[float]] = {}  # step -> main's RSS as it starts, main's peak, the workers' peak
    for step, main, workers in sampler.samples:
        peak = steps.setdefault(step, [main, 0.0, 0.0])
        peak[1], peak[2] = max(peak[1], main), max(peak[2], workers)
    return {"n": len(result.comments), "jobs": jobs, "wall": wall, "baseline": sampler.baseline, "steps": steps,
            "cpu": own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime,
            "peak_main": own.ru_maxrss / 1024, "peak_workers": max(w for _, _, w in sampler.samples)}


def table(results: list[dict[str, Any]]) -> str:
    """One row per step; per run: the main process's peak above the table, its rise during the step, the rise per
    10k comments, and the workers' RSS together."""
    steps = list(dict.fromkeys(s for r in results for s in r["steps"] if s != "start"))
    head = ["step", *(f"{r['n'] // 1000}k j{r['jobs']}: above table / rise / rise per 10k / workers (MB)"
                      for r in results)]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for step in steps:
        cells = []
        for r in results:
            if step not in r["steps"]:
                cells.append("–")
                continue
            start, main, workers = r["steps"][step]
            above, rise = main - r["baseline"], main - start
            cells.append(f"{above:,.0f} / {rise:,.0f} / {rise * 10_000 / r['n']:,.0f} / {workers:,.0f}")
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    for label, fmt in (("table read (MB, main at end of ingest)", lambda r: f"{r['baseline']:,.0f}"),
                       ("peak RSS main (MB)", lambda r: f"{r['peak_main']:,.0f}"),
                       ("peak RSS of the workers together (MB)", lambda r: f"{r['peak_workers']:,.0f}"),
                       ("wall (s)", lambda r: f"{r['wall']:.1f}"),
                       ("CPU all processes (s)", lambda r: f"{r['cpu']:.1f}")):
        lines.append(f"| {label} | " + " | ".join(fmt(r) for r in results) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 50_000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--exports", type=Path, help="folder keeping the generated exports between runs")
    parser.add_argument("--measure", nargs=3, metavar=("EXPORT", "OUT", "JOBS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), Path(args.measure[1]), int(args.measure[2]))))
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.exports or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            export = folder / f"eksport_{n}.csv"
            if not export.exists():
                write_export(n, export)
            for jobs in args.jobs:
                print(f"{n:,} comments, --jobs {jobs} ...", file=sys.stderr, flush=True)
                child = subprocess.run([sys.executable, __file__, "--measure", str(export),
                                        str(Path(tmp) / f"out_{n}_{jobs}"), str(jobs)],
                                       check=True, stdout=subprocess.PIPE, text=True)
                results.append(json.loads(child.stdout.strip().splitlines()[-1]))
                print(table(results[-1:]), file=sys.stderr, flush=True)
    print(table(results))


if __name__ == "__main__":
    main()
