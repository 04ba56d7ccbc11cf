"""The Gdańsk goal classifiers scored once on the check set nobody tuned on (issue 12).

    .venv/bin/python bench/eval_check.py [--model models/gdansk_ngo_2023] [--check FILE] [--baseline MODEL_DIR]
                                         [--json OUT] [--card]

`data/gdansk_ngo_2023/check.jsonl` (198 comments written from the taxonomy alone; see the data README) is read as
`uwagi run` reads comments (cleaned and redacted; `lang` detected by the clean stage) and put through the classify
stage (`pipeline.classify.classify`), so every candidate answers as a user's run would. The five candidates were
declared in advance, before any of them was scored on the check set:

  (a) lexical   the default model (`--model`, made by `make model` from all 520 training comments) with --encoder off
  (b) auto      the same model as a user runs it: --encoder auto (the cascade: the semantic model decides the comments
                at or below the learned margin, at most `encoder_budget` new vectors per run)
  (c) semantic  the same model with every comment decided by its semantic model (margin +inf, --encoder on)
  (d) tfidf     the plain baseline of issue 12: TF-IDF word 1-2 + character 2-5 (char_wb, sublinear tf) and logistic
                regression (C 10), trained on the same cleaned comments as the model (the files its card names)
  (e) zeroshot  zero-shot with --taxonomy alone, --encoder auto (keyword overlap plus the encoder's similarity)

One table: macro-F1, accuracy, the share flagged for review and the accuracy of the unflagged, the share the semantic
model decided, the Ukrainian/English comments sent to `poza_zakresem` though their gold label is another, and CPU
seconds; then per-label F1, and 95% bootstrap intervals (2,000 resamples of the 198 comments, paired by comment) of
the macro-F1 differences the decision rule reads: (c) - (b) and (b) - (a). Results in docs/benchmarks.md, "A check
set nobody tuned on". `--card` records the figures of (b) and (a) in the model's card (`check_set`), tied to the
model file and the check file by their SHA-256: run it once after `make model`, never to choose between models.

`--check FILE` scores another check file of the same format (a fresh one, `check2.jsonl`: docs/benchmarks.md,
"Training comments that paraphrase each goal"). `--baseline MODEL_DIR` compares two models instead: (a) and (b) of
each, and the paired intervals of the differences model - baseline under `--encoder auto` and `off`.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.classifier import CommentClassifier, load_classifier  # noqa: E402
from pipeline.classify import classify  # noqa: E402
from pipeline.clean import detect_language  # noqa: E402
from pipeline.config import ClassifyConfig, Config  # noqa: E402
from pipeline.hashing import file_sha256  # noqa: E402
from pipeline.labelled import card_files, combine_labelled, read_labelled  # noqa: E402
from pipeline.models import CARD_FILE, read_card, utc_now  # noqa: E402
from pipeline.reports import classification_report  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402
from bench_pipeline import cpu_seconds  # noqa: E402

DATA = ROOT / "data" / "gdansk_ngo_2023"
TAXONOMY = ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml"
CHECK = DATA / "check.jsonl"
OUT_OF_SCOPE = "poza_zakresem"
BOOTSTRAP = 2_000
CHECK_PROTOCOL = ("ocenione raz na data/gdansk_ngo_2023/check.jsonl: 198 uwag napisanych przez zespół uwagi z samej "
                  "taksonomii, bez wglądu w dane uczące; nigdy nie użyte do uczenia ani strojenia; etap classify jak "
                  "w uwagi run (bench/eval_check.py)")


def stage_frame(texts: list[str]) -> pd.DataFrame:
    """The check comments as the classify stage receives them (cleaned and redacted by `read_labelled`)."""
    return pd.DataFrame({"comment_id": [f"C-{i + 1:04d}" for i in range(len(texts))], "text_clean": texts,
                         "lang": [detect_language(t) for t in texts]})


def through_stage(frame: pd.DataFrame, **classify_config: object) -> pd.DataFrame:
    """The classify stage's answer for the frame under a run configured with these `ClassifyConfig` fields."""
    out = classify(frame, Config(classify=ClassifyConfig(**classify_config)))
    return out[["label", "needs_review", "semantic"]].reset_index(drop=True)


def tfidf_baseline(train_texts: list[str], train_labels: list[str], texts: list[str]) -> pd.DataFrame:
    model = make_pipeline(
        make_union(TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        LogisticRegression(C=10.0, max_iter=5_000))
    model.fit(train_texts, train_labels)
    return pd.DataFrame({"label": model.predict(texts), "needs_review": np.nan, "semantic": False})


Candidate = Callable[[pd.DataFrame], pd.DataFrame]


def model_candidates(model: CommentClassifier, tag: str = "") -> dict[str, Candidate]:
    """(a) and (b): the model with --encoder off, and as a user runs it; `tag` names the model in the table."""
    return {f"(a{tag}) lexical, --encoder off": lambda f: through_stage(f, model=model, encoder="off"),
            f"(b{tag}) auto, as a user runs it": lambda f: through_stage(f, model=model, encoder="auto")}


def candidates(model_dir: Path) -> dict[str, Candidate]:
    """name -> a function of the check frame giving `label`, `needs_review`, `semantic` per comment."""
    model = load_classifier(model_dir, TAXONOMY)
    # (c): the same fitted model, its cascade's margin lifted so that the semantic model decides every comment.
    every = copy.deepcopy(model)
    every.semantic_margin_ = np.inf
    # (d) learns the comments the model learnt, the files its card names.
    data = combine_labelled([read_labelled(DATA / name, load_taxonomy(TAXONOMY))
                             for name, _ in card_files(read_card(model_dir)["training_data"])])
    return {
        **model_candidates(model),
        "(c) semantic for every comment": lambda f: through_stage(f, model=every, encoder="on"),
        "(d) TF-IDF word 1-2 + char 2-5, LR": lambda f: tfidf_baseline(data.texts, data.labels,
                                                                      f["text_clean"].tolist()),
        "(e) zero-shot, --taxonomy alone": lambda f: through_stage(f, taxonomy=TAXONOMY, encoder="auto"),
    }


def record_in_card(model_dir: Path, auto: dict, lexical: dict) -> None:
    """The default model's figures on the check set, as its card's `check_set`, for this model and check file."""
    card = read_card(model_dir)
    card["check_set"] = {"protocol": CHECK_PROTOCOL, "file_sha256": file_sha256(CHECK),
                         "model_sha256": card["model_sha256"], "encoder_auto": auto, "encoder_off": lexical,
                         "date": utc_now()}
    (model_dir / CARD_FILE).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def macro_f1(y: np.ndarray, predicted: np.ndarray, ids: tuple[str, ...]) -> float:
    return classification_report(y, predicted, ids)["macro_f1"]


def bootstrap_difference(y: np.ndarray, first: np.ndarray, second: np.ndarray, ids: tuple[str, ...]
                         ) -> tuple[float, float, float]:
    """macro-F1(first) - macro-F1(second) and its 95% percentile interval over comments resampled with
    replacement (the same resample for both: paired by comment)."""
    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(BOOTSTRAP):
        rows = rng.integers(0, len(y), len(y))
        diffs.append(macro_f1(y[rows], first[rows], ids) - macro_f1(y[rows], second[rows], ids))
    low, high = np.percentile(diffs, [2.5, 97.5])
    return macro_f1(y, first, ids) - macro_f1(y, second, ids), float(low), float(high)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "gdansk_ngo_2023")
    parser.add_argument("--check", type=Path, default=CHECK, help="the check file (default: check.jsonl)")
    parser.add_argument("--baseline", type=Path, metavar="MODEL_DIR",
                        help="compare --model with this model: (a) and (b) of both, differences model - baseline")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--card", action="store_true", help="record (b) and (a) in the model's card (check_set)")
    args = parser.parse_args()
    if args.card and (args.baseline or args.check.resolve() != CHECK.resolve()):
        parser.error("--card records the model's figures on check.jsonl: without --check and --baseline")
    taxonomy = load_taxonomy(TAXONOMY)
    ids = taxonomy.ids
    check = read_labelled(args.check, taxonomy)
    gold_langs = np.array([json.loads(line)["lang"] for line in args.check.read_text(encoding="utf-8").splitlines()
                           if line.strip()])
    y = np.asarray(check.labels, dtype=object)
    frame = stage_frame(check.texts)
    foreign = np.isin(gold_langs, ("uk", "en")) & (y != OUT_OF_SCOPE)
    results: dict[str, dict] = {}
    predictions: dict[str, np.ndarray] = {}
    if args.baseline:
        runs = {**model_candidates(load_classifier(args.model, TAXONOMY)),
                **model_candidates(load_classifier(args.baseline, TAXONOMY), " baseline")}
    else:
        runs = candidates(args.model)
    for name, run in runs.items():
        start = cpu_seconds()
        out = run(frame)
        cpu = cpu_seconds() - start
        flagged = out["needs_review"].to_numpy()
        has_flags = not pd.isna(flagged).any()
        report = classification_report(y, out["label"].to_numpy(), ids,
                                       flagged.astype(bool) if has_flags else None)
        predictions[name] = out["label"].to_numpy().astype(object)
        results[name] = {
            "macro_f1": report["macro_f1"], "accuracy": report["accuracy"],
            "needs_review": report.get("needs_review"),
            "semantic_share": round(float(out["semantic"].mean()), 4),
            "foreign_to_out_of_scope": f"{int((predictions[name][foreign] == OUT_OF_SCOPE).sum())}/{int(foreign.sum())}",
            "foreign_accuracy": round(float((predictions[name][foreign] == y[foreign]).mean()), 4),
            "per_label_f1": {lb: m["f1"] for lb, m in report["per_label"].items()},
            "cpu_s": round(cpu, 1)}
    names = list(results)
    print(f"check set: {args.check.name}, {len(y)} comments ({int(foreign.sum())} Ukrainian/English with a goal), "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print("| candidate | macro-F1 | accuracy | flagged | unflagged right | semantic | uk/en -> poza_zakresem "
          "| uk/en right | CPU s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        nr = r["needs_review"]
        flags = (f"{nr['flagged_share']:.1%} | {nr['accuracy_unflagged']:.3f}" if nr and nr["flagged_share"] < 1
                 else "100% | –" if nr else "– | –")
        print(f"| {name} | {r['macro_f1']:.3f} | {r['accuracy']:.3f} | {flags} | {r['semantic_share']:.0%} | "
              f"{r['foreign_to_out_of_scope']} | {r['foreign_accuracy']:.2f} | {r['cpu_s']} |")
    print("\n| label (F1) | " + " | ".join(n.split(")")[0] + ")" for n in names) + " |")
    print("|---|" + "---:|" * len(names))
    for lb in ids:
        print(f"| {lb} | " + " | ".join(f"{results[n]['per_label_f1'][lb]:.3f}" for n in names) + " |")
    pairs = ({"(b) - (b baseline)": (names[1], names[3]), "(a) - (a baseline)": (names[0], names[2])} if args.baseline
             else {"(c) - (b)": (names[2], names[1]), "(b) - (a)": (names[1], names[0])})
    print()
    intervals = {}
    for label, (first, second) in pairs.items():
        diff, low, high = bootstrap_difference(y, predictions[first], predictions[second], ids)
        intervals[label] = {"difference": round(diff, 4), "ci95": [round(low, 4), round(high, 4)]}
        changed = int((predictions[first] != predictions[second]).sum())
        print(f"macro-F1 {label}: {diff:+.3f}, 95% paired bootstrap interval [{low:+.3f}, {high:+.3f}]; "
              f"{changed} comments labelled differently")
    if args.card:
        auto, lexical = (
            {key: results[name][key] for key in ("accuracy", "macro_f1", "needs_review", "semantic_share")}
            for name in (names[1], names[0]))
        record_in_card(args.model, auto, lexical)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "differences": intervals}, ensure_ascii=False,
                                        indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
