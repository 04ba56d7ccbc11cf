"""Benchmark of the clustering stage against a datasketch + rapidfuzz reference.

    .venv/bin/python bench/bench_cluster.py --sizes 100000 1000000 [--reference-max 100000]

For each size a synthetic corpus with realistic campaigns (tests/synthetic_campaigns.py) is generated once; each
method then runs in a fresh process that loads the corpus and times only the clustering, starting from
`text_clean`. Peak RSS is that process's high-water mark while the method runs (its input table included,
the loading excluded). Prints one table.

The reference: datasketch MinHash (128 permutations, character 5-grams of the folded text), MinHashLSH
(threshold 0.5), every candidate pair verified with rapidfuzz `ratio >= 80`, union-find.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE = ROOT.parent / "shared" / "data" / "gdansk_ngo_2023" / "dev.jsonl"


def _uwagi(df: pd.DataFrame) -> tuple[list[str], float]:
    from pipeline.cluster import cluster
    from pipeline.config import Config

    start = time.perf_counter()
    labels = cluster(df, Config())["cluster_id"].tolist()
    return labels, time.perf_counter() - start


def _reference(df: pd.DataFrame) -> tuple[list[int], float]:
    from datasketch import MinHash, MinHashLSH
    from rapidfuzz import fuzz

    from pipeline.clean import fold

    start = time.perf_counter()
    texts = df["text_clean"].tolist()
    folded = [fold(t) for t in texts]
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    hashes = []
    for i, f in enumerate(folded):
        m = MinHash(num_perm=128)
        m.update_batch([f[j : j + 5].encode() for j in range(max(1, len(f) - 4))])
        lsh.insert(i, m)
        hashes.append(m)
    parent = list(range(len(texts)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(hashes):
        for j in lsh.query(m):
            if j > i and fuzz.ratio(folded[i], folded[j]) >= 80:
                parent[find(j)] = find(i)
    return [find(i) for i in range(len(texts))], time.perf_counter() - start


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker(method: str, corpus_path: str, queue: mp.Queue) -> None:
    df = pd.read_parquet(corpus_path)
    truth = df.pop("truth").to_numpy()
    # Peak RSS from here on: the input table plus what the method needs, not the loading.
    Path("/proc/self/clear_refs").write_text("5")
    labels, seconds = (_uwagi if method == "uwagi" else _reference)(df)
    rss_mb = _peak_rss_mb()
    from tests.synthetic_campaigns import pair_scores

    precision, recall, f1 = pair_scores(truth, labels)
    queue.put({"seconds": seconds, "rss_mb": rss_mb, "precision": precision, "recall": recall, "f1": f1})


def _measure(method: str, corpus_path: str) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(method, corpus_path, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--reference-max", type=int, default=100_000, help="skip the reference above this size")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from tests.synthetic_campaigns import make_corpus

    sample = [json.loads(line)["text"] for line in SAMPLE.read_text(encoding="utf-8").splitlines()] \
        if SAMPLE.exists() else []
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            corpus = make_corpus(n, seed=args.seed, sample=sample)
            path = str(Path(tmp) / f"corpus_{n}.parquet")
            corpus.frame.assign(truth=pd.factorize(corpus.truth)[0]).to_parquet(path)
            del corpus
            methods = ["uwagi"] + (["reference"] if n <= args.reference_max else [])
            for method in methods:
                r = _measure(method, path)
                rows.append((n, method, r))
                print(f"# done {method} n={n}: {r['seconds']:.1f} s", file=sys.stderr, flush=True)

    print(f"{'size':>9} | {'method':<28} | {'time s':>8} | {'peak RSS MB':>11} | {'pair P':>7} | {'pair R':>7} | "
          f"{'pair F1':>7}")
    print("-" * 96)
    names = {"uwagi": "uwagi (pipeline.cluster)", "reference": "datasketch + rapidfuzz ratio"}
    for n, method, r in rows:
        print(f"{n:>9,} | {names[method]:<28} | {r['seconds']:>8.1f} | {r['rss_mb']:>11.0f} | "
              f"{r['precision']:>7.4f} | {r['recall']:>7.4f} | {r['f1']:>7.4f}")


if __name__ == "__main__":
    main()
