"""Hostile shapes through `uwagi run`: CSV exports thousands of columns wide, and one huge comment as JSON Lines.

    .venv/bin/python bench/bench_ingest.py [--widths 2500 5000 10000] [--megabytes 1 5 10]

Both must grow linearly: a wide export (20 rows, a text column and `width` short cells per row) once took the square
of its width, and a comment of a few MB the square of its length. Each row is one whole run in this process (the
model is loaded once, before the first); seconds per stage are those `run.json` records.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from pipeline.config import Config, ExportConfig  # noqa: E402
from pipeline.job import run_job  # noqa: E402

SAMPLE = ROOT / "data" / "samples" / "konsultacje_2023_demo.csv"
ROWS = 20


def write_wide(width: int, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, delimiter=";")
        out.writerow(["Lp.", "Treść uwagi", *[f"Pole {i}" for i in range(3, width + 1)]])
        for r in range(1, ROWS + 1):
            out.writerow([r, f"Uwaga numer {r} do projektu uchwały.", *[f"w{r}k{i}" for i in range(3, width + 1)]])


def write_huge(megabytes: float, path: Path) -> None:
    """One comment of `megabytes` MB of the sample's comments (names, e-mails, provisions and all) and a short one."""
    with SAMPLE.open(encoding="utf-8-sig", newline="") as fh:
        chunk = "\n\n".join(row["Treść uwagi"] for row in csv.DictReader(fh, delimiter=";"))
    size = int(megabytes * 2**20)
    text = (chunk * (size // len(chunk) + 1))[:size]
    lines = [{"id": 1, "tresc": text}, {"id": 2, "tresc": "Krótka uwaga o budżecie obywatelskim."}]
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")


def timed_run(source: Path, out: Path) -> tuple[float, dict[str, float]]:
    start = time.perf_counter()
    run_job([source], Config(export=ExportConfig(out_dir=out)))
    total = time.perf_counter() - start
    return total, json.loads((out / "run.json").read_text(encoding="utf-8"))["timings_s"]


def table(title: str, rows: list[tuple[str, float, dict[str, float]]]) -> None:
    stages = list(dict.fromkeys(s for _, _, timings in rows for s in timings))
    print(f"\n{title}\n")
    print("| input | total s | " + " | ".join(stages) + " |")
    print("|---|---:|" + "---:|" * len(stages))
    for name, total, timings in rows:
        print(f"| {name} | {total:.1f} | " + " | ".join(f"{timings.get(s, 0):.1f}" for s in stages) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="*", default=[2500, 5000, 10000], help="columns of the CSV")
    parser.add_argument("--megabytes", type=float, nargs="*", default=[1, 5, 10], help="size of the one comment")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        warm = folder / "warm.csv"
        write_wide(3, warm)
        timed_run(warm, folder / "warm")  # loads the model and the word lists, which no row should pay for
        wide = []
        for width in args.widths:
            write_wide(width, folder / f"wide_{width}.csv")
            wide.append((f"{width:,} columns", *timed_run(folder / f"wide_{width}.csv", folder / f"w{width}")))
        table(f"CSV, {ROWS} rows, by width", wide)
        huge = []
        for megabytes in args.megabytes:
            write_huge(megabytes, folder / f"huge_{megabytes:g}.jsonl")
            huge.append((f"{megabytes:g} MB", *timed_run(folder / f"huge_{megabytes:g}.jsonl", folder / f"h{megabytes:g}")))
        table("JSON Lines, one comment of this size", huge)


if __name__ == "__main__":
    main()
