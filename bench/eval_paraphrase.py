"""Does adding the paraphrase training file (issue 12) cost anything on the Gdańsk training comments? Nested CV.

    .venv/bin/python bench/eval_paraphrase.py [--json OUT]

Two measurements, both nested grouped 5-fold cross-validation as `uwagi crossval` and the model card's
`nested_cross_validation` (parameters chosen inside each outer fold's training part, seed 0), the default
(encoder-on) classifier:

  all       nested CV on the 520 + 225 comments `make model` reads with `paraphrase.jsonl`: the figure over all
            745, and the same out-of-fold predictions restricted to the 520 rows of `train.jsonl` + `demo_gold.jsonl`
  paired    the folds of the card's nested CV on the 520 alone (the same test parts), each outer training part
            with the 225 paraphrase comments added: against the card's figure (the same folds and selection without
            them, `OLD_CARD`), the difference is the paraphrase file's alone

The decision rule (docs/benchmarks.md, "Training comments that paraphrase each goal") reads the nested figure on
the Gdańsk training comments: it may not fall by more than 0.01 macro-F1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.classifier import CommentClassifier, semantic_rows  # noqa: E402
from pipeline.encoder import DEFAULT_ENCODER  # noqa: E402
from pipeline.folds import grouped_folds  # noqa: E402
from pipeline.labelled import combine_labelled, read_labelled  # noqa: E402
from pipeline.reports import classification_report  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402
from pipeline.training import _cascaded, cross_validate  # noqa: E402
from pipeline.tuning import select_params  # noqa: E402
from bench_pipeline import cpu_seconds  # noqa: E402

DATA = ROOT / "data" / "gdansk_ngo_2023"
TAXONOMY = ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml"
ORIGINAL = ("train.jsonl", "demo_gold.jsonl")
PARAPHRASE = "paraphrase.jsonl"


def summary(y: np.ndarray, oof: pd.DataFrame, ids: tuple[str, ...]) -> dict:
    report = classification_report(y, oof["label"].to_numpy(), ids, oof["needs_review"].to_numpy().astype(bool))
    return {key: report[key] for key in ("accuracy", "macro_f1", "needs_review")} | {
        "semantic_share": round(float(oof["semantic"].mean()), 4)}


def paired(classifier: CommentClassifier, analysed: pd.DataFrame, y: np.ndarray, groups: np.ndarray,
           original_groups: np.ndarray, secondary: list, ids: tuple[str, ...]) -> dict:
    """Nested CV over the folds of the original rows (the first `len(original_groups)`, grouped as when read
    alone), each outer training part with the rows after them added."""
    n_original = len(original_groups)
    added = np.arange(n_original, len(y))
    out = pd.DataFrame({"label": pd.Series([""] * n_original, dtype=object), "needs_review": True,
                        "semantic": False})
    for tr, te in grouped_folds(y[:n_original], original_groups):
        rows = np.concatenate([tr, added])
        rows_secondary = [secondary[i] for i in rows]
        params = select_params(classifier, analysed.iloc[rows], y[rows], groups[rows], rows_secondary)
        model = clone(classifier).set_params(**params).fit_analysed(
            analysed.iloc[rows], y[rows], groups=groups[rows], secondary=rows_secondary)
        test = _cascaded(model, analysed.iloc[te])
        decided = model.decisions(model.predict_proba_analysed(test), test)
        out.loc[te, "label"] = decided["label"].to_numpy()
        out.loc[te, "needs_review"] = decided["needs_review"].to_numpy()
        out.loc[te, "semantic"] = semantic_rows(test) & (model.semantic_svm_ is not None)
    return summary(y[:n_original], out, ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    taxonomy = load_taxonomy(TAXONOMY)
    ids = taxonomy.ids
    parts = [read_labelled(DATA / name, taxonomy) for name in (*ORIGINAL, PARAPHRASE)]
    original_groups = np.asarray(combine_labelled(parts[:2]).groups)
    n_original = len(original_groups)
    data = combine_labelled(parts)
    y, groups = np.asarray(data.labels, dtype=object), np.asarray(data.groups)
    classifier = CommentClassifier(taxonomy, encoder=DEFAULT_ENCODER)
    start = cpu_seconds()
    analysed = classifier.analyse(data.texts, embed_all=True)
    oof = cross_validate(classifier, analysed, data.labels, groups=groups, secondary=data.all_labels, nested=True)
    results = {"all_745": summary(y, oof, ids),
               "all_745_restricted_to_520": summary(y[:n_original], oof.iloc[:n_original].reset_index(drop=True), ids),
               "cpu_s_all": round(cpu_seconds() - start, 1)}
    print(json.dumps(results, ensure_ascii=False), flush=True)
    start = cpu_seconds()
    results["paired_on_520_folds"] = paired(classifier, analysed, y, groups, original_groups, data.all_labels, ids)
    results["cpu_s_paired"] = round(cpu_seconds() - start, 1)
    print(json.dumps({k: results[k] for k in ("paired_on_520_folds", "cpu_s_paired")}, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
