"""Speed of training and prediction on 10k comments (targets: train < 60 s, predict >= 3,000 comments/s after the
Polish layer).

    .venv/bin/python bench/bench_classify.py [--n 10000]

The comments are the labelled Gdańsk training data, each repeated with random word drops and swaps so that no
two are identical (a corpus of exact copies would make vocabularies and fitting unrealistically cheap).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.classifier import CommentClassifier  # noqa: E402
from pipeline.clean import clean_text  # noqa: E402
from pipeline.features import analyse  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402
from pipeline.training import train  # noqa: E402


def corpus(n: int, seed: int = 0) -> tuple[list[str], list[str], list[str]]:
    rows = [json.loads(line) for line in (ROOT / "data" / "gdansk_ngo_2023" / "train.jsonl").read_text().splitlines()]
    rng = random.Random(seed)
    texts, labels, types = [], [], []
    for i in range(n):
        row = rows[i % len(rows)]
        words = clean_text(row["text"]).split()
        words = [w for w in words if rng.random() > 0.15] or words
        if len(words) > 3:
            j = rng.randrange(len(words) - 1)
            words[j], words[j + 1] = words[j + 1], words[j]
        texts.append(" ".join(words))
        labels.append(row["primary_label"])
        types.append(row["comment_type"])
    return texts, labels, types


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    taxonomy = load_taxonomy(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
    texts, labels, types = corpus(args.n)
    rows = []

    start = time.perf_counter()
    analysed = analyse(texts)
    t_analyse = time.perf_counter() - start
    rows.append(("Polish layer (analyse)", t_analyse, args.n / t_analyse))

    start = time.perf_counter()
    trained = train(CommentClassifier(taxonomy), texts, labels, comment_types=types)
    t_train = time.perf_counter() - start
    rows.append(("train(): analyse + 5-fold CV + final fit", t_train, args.n / t_train))

    start = time.perf_counter()
    CommentClassifier(taxonomy).fit_analysed(analysed, labels)
    t_fit = time.perf_counter() - start
    rows.append(("fit_analysed() on analysed texts", t_fit, args.n / t_fit))

    model = trained.model
    start = time.perf_counter()
    model.predict_frame_analysed(analysed)
    t_predict = time.perf_counter() - start
    rows.append(("predict after the Polish layer", t_predict, args.n / t_predict))

    print(f"{'step':<44} {'seconds':>8} {'comments/s':>11}   (n = {args.n})")
    for name, seconds, rate in rows:
        print(f"{name:<44} {seconds:>8.1f} {rate:>11,.0f}")


if __name__ == "__main__":
    main()
