"""End to end: `uwagi run` (CSV to workbook) on generated exports, seconds per stage, peak RSS, and the floor.

    .venv/bin/python bench/bench_pipeline.py [--sizes 10000 100000] [--full] [--jobs N]

Each export is a `;`-separated UTF-8 CSV written from the synthetic corpus of the clustering tests (sentences of the
bundled sample, campaigns with personal additions, duplicates), with a submitter-type column. Every size runs in a
process of its own, so its peak RSS is its own; the stage timings are those `run.json` records. In the same process,
after the run, spaCy's `blank("pl")` tokenizes the same texts (`nlp.pipe`): the floor any Polish pipeline pays,
against which the total is compared; the CPU seconds of the run (this process and its worker processes) do not
depend on the machine's load as wall-clock seconds do. `--full` adds 1M comments; `--jobs` is `uwagi run --jobs`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from pipeline.config import ClassifyConfig, Config, EngineConfig, ExportConfig, IngestConfig  # noqa: E402
from pipeline.job import run_job  # noqa: E402
from tests.synthetic_campaigns import make_corpus  # noqa: E402

SAMPLE = ROOT / "data" / "samples" / "konsultacje_2023_demo.csv"
TEXT, ID, SUBMITTER = "Treść uwagi", "Nr zgłoszenia", "Typ zgłaszającego"


def export_texts(n: int) -> list[str]:
    """The texts of `write_export(n)`'s comments (the tests check the stages' shortcuts on them)."""
    sample = pd.read_csv(SAMPLE, sep=";", dtype=str, encoding="utf-8-sig")[TEXT].tolist()
    return make_corpus(n, seed=0, sample=sample).frame["text_clean"].tolist()


def write_export(n: int, path: Path) -> None:
    kinds = ["osoba fizyczna", "organizacja pozarządowa", "grupa nieformalna"]
    frame = pd.DataFrame({ID: [f"Z-{i:07d}" for i in range(n)],
                          TEXT: export_texts(n),
                          SUBMITTER: [kinds[i % 3] for i in range(n)]})
    frame.to_csv(path, sep=";", index=False, encoding="utf-8")


def tokenization_seconds(texts: list[str]) -> float:
    """spaCy's rule-based Polish tokenizer over the texts, nothing else: the reference line."""
    import spacy

    nlp = spacy.blank("pl")
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=256):
        pass
    return time.perf_counter() - start


def cpu_seconds() -> float:
    """User and system CPU time of this process and of its finished children (the worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def end_fork_server() -> None:
    """Ends the fork server the run's worker processes were forked from (`pipeline/engines/processes.py`): they are
    its children, not this process's, so their CPU time and peak RSS reach `RUSAGE_CHILDREN` here only once it has
    ended (it waits for them) and this process has waited for it."""
    from multiprocessing import forkserver

    forkserver._forkserver._stop()  # private, as in the standard library's own tests: there is no public way


def measure(export: Path, out_dir: Path, jobs: int | None) -> dict:
    """One whole run and the reference on its texts, in this process (called in a child of `main`)."""
    # The lexical model (`--encoder off`): issue 17's targets; bench_encoder.py measures what the encoder adds.
    cfg = Config(ingest=IngestConfig(id_col=ID, submitter_col=SUBMITTER), classify=ClassifyConfig(encoder="off"),
                 export=ExportConfig(out_dir=out_dir), engine=EngineConfig(jobs=jobs))
    start, cpu = time.perf_counter(), cpu_seconds()
    run_job([export], cfg)
    total = time.perf_counter() - start
    end_fork_server()
    cpu = cpu_seconds() - cpu
    manifest = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
    timings = manifest["timings_s"]
    timings.pop("total", None)  # the row "total" below is the whole run_job, measured here
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    texts = pd.read_csv(export, sep=";", dtype=str, keep_default_na=False)[TEXT].tolist()
    # The manifest's count, not the result's table: past a spilled run that would read the whole output back.
    return {"n": manifest["counts"]["written"], "timings": timings, "total": total, "cpu": cpu, "peak_mb": peak_mb,
            "worker_mb": worker_mb,
            "reference": tokenization_seconds(texts), "load": os.getloadavg()}


def run_size(n: int, tmp: Path, jobs: int | None) -> dict:
    export = tmp / f"eksport_{n}.csv"
    write_export(n, export)
    child = subprocess.run([sys.executable, __file__, "--measure", str(export), str(tmp / f"out_{n}"),
                            *(["--jobs", str(jobs)] if jobs else [])],
                           check=True, stdout=subprocess.PIPE, text=True)
    export.unlink()
    return json.loads(child.stdout.strip().splitlines()[-1])


def table(results: list[dict]) -> str:
    """Rows: what was measured; columns: the corpus sizes."""
    stages = list(dict.fromkeys(s for r in results for s in r["timings"]))
    rows: list[tuple[str, list[str]]] = [(f"{s} (s)", [f"{r['timings'].get(s, 0):.1f}" for r in results])
                                         for s in stages]
    rows += [
        ("total (s)", [f"{r['total']:.1f}" for r in results]),
        ("CPU time, all processes (s)", [f"{r['cpu']:.1f}" for r in results]),
        ("comments/s", [f"{r['n'] / r['total']:,.0f}" for r in results]),
        ("peak RSS (MB)", [f"{r['peak_mb']:,.0f}" for r in results]),
        ("peak RSS of a worker process (MB)", [f"{r['worker_mb']:,.0f}" for r in results]),
        ('spaCy blank("pl") tokenizing (s)', [f"{r['reference']:.1f}" for r in results]),
        ("total / tokenizing", [f"{r['total'] / r['reference']:.1f}×" for r in results]),
        ("load average at the end (1/5 min)", ["/".join(f"{x:.1f}" for x in r["load"][:2]) for r in results]),
    ]
    head = ["comments", *(f"{r['n']:,}" for r in results)]
    width = max(len(name) for name, _ in rows)
    cell = max(len(v) for _, values in [("", head[1:]), *rows] for v in values)
    lines = [f"| {head[0]:<{width}} | " + " | ".join(f"{h:>{cell}}" for h in head[1:]) + " |",
             f"|{'-' * (width + 2)}|" + "|".join("-" * (cell + 2) for _ in results) + "|"]
    lines += [f"| {name:<{width}} | " + " | ".join(f"{v:>{cell}}" for v in values) + " |" for name, values in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="comments per corpus")
    parser.add_argument("--full", action="store_true", help="also 1M comments")
    parser.add_argument("--jobs", type=int, help="worker processes (uwagi run --jobs; default: one per core)")
    parser.add_argument("--measure", nargs=2, metavar=("EXPORT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), Path(args.measure[1]), args.jobs)))
        return
    sizes = [*args.sizes, *([1_000_000] if args.full else [])]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            print(f"{n:,} comments ...", file=sys.stderr, flush=True)
            results.append(run_size(n, Path(tmp), args.jobs))
    print(f"\nuwagi run, CSV to workbook ({os.cpu_count()} cores, --jobs {args.jobs or os.cpu_count()})\n")
    print(table(results))


if __name__ == "__main__":
    main()
