"""Redaction speed (comments/s on one core) and quality on the generated test set.

    .venv/bin/python bench/bench_redact.py [--n 2000]

Prints two tables: throughput of `redact_text` on the generated comments, the Gdańsk dev comments and the Łódź
proposals (where ../shared is present), and recall/precision per type on the generated set.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from pii_corpus import evaluate, make_pii_corpus  # noqa: E402

from pipeline.redact import find_pii, redact_text  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def _datasets(n: int) -> dict[str, list[str]]:
    sets = {"generated": [ex.text for ex in make_pii_corpus(n, seed=99)]}
    dev = SHARED / "gdansk_ngo_2023" / "dev.jsonl"
    if dev.exists():
        sets["gdansk dev"] = [json.loads(line)["text"] for line in dev.read_text(encoding="utf-8").splitlines()]
    lodz = SHARED / "lodz_bo_2025" / "proposals.csv"
    if lodz.exists():
        import pandas as pd

        df = pd.read_csv(lodz)
        sets["lodz proposals"] = (df["nazwa"].fillna("") + "\n" + df["opis"].fillna("")).tolist()
    return sets


def _throughput(texts: list[str], clock, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        for text in texts:
            redact_text(text)
        best = min(best, clock() - start)
    return len(texts) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="generated comments for the speed run")
    args = parser.parse_args()

    redact_text("Rozgrzewka: Anna Nowak, tel. 501 234 567")  # loads the name list
    # CPU time is what one core delivers; wall time also shows what other processes on the machine took.
    print(f"{'dataset':<16}{'comments':>9}{'median words':>14}{'comments/s CPU':>16}{'comments/s wall':>17}")
    for name, texts in _datasets(args.n).items():
        words = statistics.median(len(t.split()) for t in texts)
        cpu, wall = _throughput(texts, time.process_time), _throughput(texts, time.perf_counter)
        print(f"{name:<16}{len(texts):>9}{words:>14.0f}{cpu:>16,.0f}{wall:>17,.0f}")

    scores, intact, damaged = evaluate(make_pii_corpus(800), find_pii)
    print(f"\n{'type':<10}{'gold':>6}{'recall':>8}{'leaked':>8}{'predicted':>11}{'precision':>11}")
    for kind, s in sorted(scores.items()):
        print(f"{kind:<10}{s.gold:>6}{s.recall:>8.3f}{s.leaked:>8}{s.predicted:>11}{s.precision:>11.3f}")
    print(f"non-personal items intact: {intact:.3f} ({len(damaged)} damaged)")


if __name__ == "__main__":
    main()
