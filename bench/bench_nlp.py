"""Throughput of the Polish layer on one core: tokenizing, lemmatizing with each backend, and redacting.

Comments are rebuilt from shuffled sentences of the Gdańsk dev set, with lengths drawn around a median of 50 words,
so word forms repeat as they do in a real consultation. "cold" is the first pass (lemma caches empty, dictionaries
loaded), "warm" a second pass over the same comments. Times are CPU seconds of this process pinned to one core.

    .venv/bin/python bench/bench_nlp.py [--comments 3000] [--dev ../shared/data/gdansk_ngo_2023/dev.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.polish import analyze, backends, get_nlp, load_backend  # noqa: E402
from pipeline.sentences import split_sentences  # noqa: E402


def build_comments(dev: Path, n: int, median_words: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    rows = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()]
    pool = [s for row in rows for s in split_sentences(row["text"]) if len(s.split()) >= 3]
    comments = []
    for _ in range(n):
        target = max(5, round(rng.lognormvariate(0, 0.6) * median_words))
        words: list[str] = []
        while len(words) < target:
            words += rng.choice(pool).split()
        comments.append(" ".join(words[:target]))
    return comments


def timed(run: Callable[[], object]) -> float:
    # CPU time of this process: the machine is shared, and wall time would count other jobs' turns on the core.
    start = time.process_time()
    run()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=3000)
    parser.add_argument("--median-words", type=int, default=50)
    parser.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "data" / "gdansk_ngo_2023" / "dev.jsonl")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    comments = build_comments(args.dev, args.comments, args.median_words)
    n_words = [len(c.split()) for c in comments]
    print(f"{len(comments)} comments, median {statistics.median(n_words):.0f} words, {sum(n_words)} words, one core\n")

    rows: list[tuple[str, float]] = []
    nlp = get_nlp()
    rows.append(("tokenize only (spaCy tokenizer)", timed(lambda: list(nlp.tokenizer.pipe(comments)))))
    warm_up = ["Wsparcie dla organizacji", "Wsparcie dla organizacji pozarzadowych w Gdansku"]
    for backend in backends():
        analyze(warm_up, lemmatizer=backend)  # loads the dictionaries, not the comments' word forms
    # The cold rows depend on how often forms repeat; this is the price of a form never seen before
    # (measured first: simplemma keeps its own cache).
    forms = sorted({token.text for doc in nlp.tokenizer.pipe(comments) for token in doc if token.is_alpha})
    uncached = []
    for backend in backends():
        lemmatize = load_backend(backend)
        uncached.append((backend, timed(lambda: [lemmatize(form) for form in forms])))
    texts = comments
    try:
        from pipeline.redact import redact_text
    except ImportError:
        print("pipeline.redact.redact_text is not available: redaction rows skipped\n")
    else:
        redact_text(comments[0])  # loads its name lists
        redacted: list[str] = []
        seconds = timed(lambda: redacted.extend(redact_text(c)[0] for c in comments))
        rows.append(("redact_text", seconds))
        texts = redacted
    for backend in backends():
        rows.append((f"analyze, {backend}, cold", timed(lambda: analyze(texts, lemmatizer=backend))))
        rows.append((f"analyze, {backend}, warm", timed(lambda: analyze(texts, lemmatizer=backend))))
    if texts is not comments:
        cold = dict(rows)["redact_text"] + dict(rows)[f"analyze, {backends()[0]}, cold"]
        rows.append((f"redact + analyze ({backends()[0]}, cold)", cold))

    print(f"| {'step':<42} | {'comments/s':>10} | {'words/s':>9} |")
    print(f"|{'-' * 44}|{'-' * 12}:|{'-' * 10}:|")
    for name, seconds in rows:
        print(f"| {name:<42} | {len(comments) / seconds:>10,.0f} | {sum(n_words) / seconds:>9,.0f} |")

    print(f"\n| {'lemmatizer backend alone, forms never seen':<42} | {'forms/s':>10} |")
    print(f"|{'-' * 44}|{'-' * 12}:|")
    for backend, seconds in uncached:
        print(f"| {backend + f' ({len(forms)} distinct forms)':<42} | {len(forms) / seconds:>10,.0f} |")


if __name__ == "__main__":
    main()
