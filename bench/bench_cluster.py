"""Benchmark of the clustering stage against a datasketch + rapidfuzz reference.

    .venv/bin/python bench/bench_cluster.py --sizes 100000 1000000 [--reference-max 100000]

For each size a synthetic corpus with realistic campaigns (tests/synthetic_campaigns.py) is generated once; each
method then runs in a fresh process that loads the corpus and times only the clustering, starting from
`text_clean`. Peak RSS is that process's high-water mark (corpus included). Prints one table.

The reference: datasketch MinHash (128 permutations, character 5-grams of the folded text), MinHashLSH
(threshold 0.5), every candidate pair verified with rapidfuzz `ratio >= 80`, union-find.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import pickle
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE = ROOT.parent / "shared" / "data" / "gdansk_ngo_2023" / "dev.jsonl"


def _uwagi(texts: list[str]) -> list[str]:
    import pandas as pd

    from pipeline.cluster import cluster
    from pipeline.config import Config

    df = pd.DataFrame({"comment_id": [str(i) for i in range(len(texts))], "text_clean": texts})
    return cluster(df, Config())["cluster_id"].tolist()


def _reference(texts: list[str]) -> list[int]:
    from datasketch import MinHash, MinHashLSH
    from rapidfuzz import fuzz

    from pipeline.clean import fold

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
    return [find(i) for i in range(len(texts))]


def _worker(method: str, corpus_path: str, queue: mp.Queue) -> None:
    with open(corpus_path, "rb") as fh:
        texts, truth = pickle.load(fh)
    run = _uwagi if method == "uwagi" else _reference
    start = time.perf_counter()
    labels = run(texts)
    seconds = time.perf_counter() - start
    from tests.synthetic_campaigns import pair_scores

    precision, recall, f1 = pair_scores(truth, labels)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
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
            path = str(Path(tmp) / f"corpus_{n}.pkl")
            with open(path, "wb") as fh:
                pickle.dump((corpus.frame["text_clean"].tolist(), corpus.truth), fh)
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
