"""A nightly run with a state: N known comments, then the same export with M new ones.

    .venv/bin/python bench/bench_nightly.py [--known 10000] [--new 500] [--encoder auto|on|off]

The first night is a full run (every comment through every stage); the second reuses the stored results of the
known comments, so only the new ones go through the costly stages. The goal (issue 13): the second night takes at
most a tenth of the first. Each night is `uwagi run --state` in a process of its own, as cron or systemd starts it,
so both pay for starting up and loading the model and dictionaries: wall-clock seconds, and CPU time of the process
(on a machine shared with other jobs, CPU time is the fairer comparison).

The nights use a cache folder of their own (`UWAGI_CACHE_DIR`), so tonight's new comments are new to the sentence
vector cache as they are in production: a shared cache would hold their vectors from earlier benchmark runs. What a
server builds once (the dictionaries' tables, the loaded model) is built beforehand by a lexical run on a few rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bench.bench_pipeline import write_export  # noqa: E402
from pipeline.cache_dir import CACHE_ENV  # noqa: E402


def children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--known", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=500)
    parser.add_argument("--encoder", choices=("auto", "on", "off"), default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        export, out = Path(tmp) / "eksport.csv", Path(tmp) / "out"
        write_export(args.known + args.new, export)
        everything = pd.read_csv(export, sep=";", dtype=str, keep_default_na=False)
        command = [sys.executable, "-m", "pipeline", "run", str(export), "--out", str(out), "--state",
                   str(Path(tmp) / "stan.db"), "--id-col", "Nr zgłoszenia", "--submitter-col", "Typ zgłaszającego",
                   "--encoder", args.encoder]
        env = {**os.environ, CACHE_ENV: str(Path(tmp) / "cache")}
        everything.iloc[:50].to_csv(export, sep=";", index=False)
        warm_up = [*command[:6], str(Path(tmp) / "warm-up"), *command[9:-1], "off"]  # no state, no vectors
        subprocess.run(warm_up, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds, cpu = [], []
        for rows in (args.known, args.known + args.new):
            everything.iloc[:rows].to_csv(export, sep=";", index=False)
            start, start_cpu = time.perf_counter(), children_cpu()
            subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seconds.append(time.perf_counter() - start)
            cpu.append(children_cpu() - start_cpu)
            manifest = json.loads((out / "run.json").read_text())
            print(f"night of {rows:,} comments: {seconds[-1]:.1f} s wall, {cpu[-1]:.1f} s CPU, load "
                  f"{os.getloadavg()[0]:.1f}, counts {manifest['counts']}, stages {manifest['timings_s']}, "
                  f"themes {manifest['themes_fit']}, encoder: {manifest['encoder']['semantic']} classified with it, "
                  f"{manifest['encoder']['embedded_new']} new vectors", flush=True)
    ratio, cpu_ratio = seconds[1] / seconds[0], cpu[1] / cpu[0]
    print(f"\nfull run {seconds[0]:.1f} s wall, {cpu[0]:.1f} s CPU; nightly run with {args.new:,} new on "
          f"{args.known:,} known {seconds[1]:.1f} s wall = {ratio:.3f}, {cpu[1]:.1f} s CPU = {cpu_ratio:.3f} of the "
          f"full run, --encoder {args.encoder} (goal: at most 0.100 of CPU time)")
    return 0 if cpu_ratio <= 0.1 else 1


if __name__ == "__main__":
    sys.exit(main())
