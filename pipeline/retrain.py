"""Retraining on staff corrections: the old model's labelled data with people's labels applied, the new model
fitted on it, and the old and new model compared out of fold.

The one place `uwagi learn` calls into the classifier (`pipeline.classify`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from pipeline.classifier import DEFAULT_LEMMATIZER, CommentClassifier
from pipeline.folds import CV_FOLDS, duplicate_groups, grouped_folds
from pipeline.corrections import Correction, fingerprint
from pipeline.encoder import available
from pipeline.errors import UserError
from pipeline.features import analyse
from pipeline.hashing import file_sha256
from pipeline.labelled import card_files, combine_labelled, read_labelled
from pipeline.models import load_model
from pipeline.resources import resource_path
from pipeline.taxonomy import Taxonomy
from pipeline.training import train

ORIGIN_DATA, ORIGIN_CORRECTION = "dane uczące", "korekta"


def combine(old: pd.DataFrame, corrections: Mapping[str, Correction]) -> pd.DataFrame:
    """The old labelled data with people's labels applied, plus the corrected comments it did not hold.

    `old` has `text`, `label`, `group`, `comment_type` and optionally `labels` (every label of a comment); the
    result adds `fingerprint`, `old_label` (the label the old model learnt, None for a comment new to the data) and
    `origin`, and regroups so that a campaign or a repeated text (old or new) stays in one cross-validation fold.
    A person's label replaces all of a comment's labels: the further ones were given next to the old primary.
    """
    data = old[["text", "label", "group", "comment_type"]].copy()
    data["labels"] = old["labels"].tolist() if "labels" in old else [[label] for label in old["label"]]
    data["fingerprint"] = data["text"].map(fingerprint)
    data["old_label"] = data["label"]
    data["origin"] = ORIGIN_DATA
    labelled = {fp: c.label for fp, c in corrections.items() if c.label}
    hit = data["fingerprint"].isin(labelled)
    data.loc[hit, "label"] = data.loc[hit, "fingerprint"].map(labelled)
    data.loc[hit, "origin"] = ORIGIN_CORRECTION
    data.loc[hit, "labels"] = pd.Series([[label] for label in data.loc[hit, "label"]], index=data.index[hit])
    known = set(data["fingerprint"])
    new = [c for fp, c in corrections.items() if c.label and c.text.strip() and fp not in known]
    extra = pd.DataFrame({
        "text": [c.text for c in new], "label": [c.label for c in new], "labels": [[c.label] for c in new],
        "group": [None] * len(new),
        "comment_type": [None] * len(new), "fingerprint": [c.fingerprint for c in new],
        "old_label": [None] * len(new), "origin": ORIGIN_CORRECTION,
    })
    data = pd.concat([data, extra], ignore_index=True)
    data["group"] = [f"g{g}" for g in duplicate_groups(data["text"].tolist(),
                                                       [None if pd.isna(g) else str(g) for g in data["group"]])]
    return data


@dataclass
class BaseModel:
    model: CommentClassifier
    card: dict[str, Any]
    data: pd.DataFrame  # the labelled data it learnt: text, label, labels, group, comment_type

    @property
    def taxonomy(self) -> Taxonomy:
        return self.model.taxonomy


def _training_files(model_dir: Path, card: dict[str, Any]) -> list[Path]:
    """The labelled files a model learnt, found by the names and SHA-256 its card records: in the model folder
    (models made by `uwagi learn`) or among the bundled data (models made by `uwagi train`, like the default)."""
    files = card_files(card.get("training_data", {})) or [("", "")]
    found = []
    for name, digest in files:
        candidates = [model_dir / name, *sorted(resource_path("data").rglob(name))] if name else []
        match = next((c for c in candidates if c.is_file() and file_sha256(c) == digest), None)
        if match is None:
            raise UserError(f"nie znaleziono danych, na których uczono model (plik {name!r}, SHA-256 "
                            f"{str(digest)[:12]}…); połóż ten plik w katalogu modelu", path=model_dir)
        found.append(match)
    return found


def load_base_model(model_dir: Path) -> BaseModel:
    """The model staff corrected, with the labelled data it learnt (which `uwagi train` already vetted)."""
    model, card = load_model(model_dir)
    if not isinstance(model, CommentClassifier):
        raise UserError("plik modelu nie zawiera klasyfikatora uwagi", path=model_dir)
    paths = _training_files(model_dir, card)
    labelled = combine_labelled([read_labelled(path, model.taxonomy) for path in paths])
    data = pd.DataFrame({"text": labelled.texts, "label": labelled.labels, "labels": labelled.all_labels,
                         "group": [f"g{g}" for g in labelled.groups],
                         "comment_type": labelled.comment_types or [None] * len(labelled.texts)})
    return BaseModel(model, card, data)


def _fit_labels(analysed: pd.DataFrame, y: np.ndarray, taxonomy: Taxonomy, lemmatizer: str) -> CommentClassifier:
    # Only the argmax is scored, which calibration does not change: skip its inner cross-validation.
    return CommentClassifier(taxonomy, calibration_folds=0, lemmatizer=lemmatizer).fit_analysed(analysed, y)


def _predict_labels(model: CommentClassifier, analysed: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.taxonomy.ids, dtype=object)[model.predict_proba_analysed(analysed).argmax(axis=1)]


def compare_out_of_fold(data: pd.DataFrame, taxonomy: Taxonomy, analysed: pd.DataFrame | None = None,
                        n_splits: int = CV_FOLDS, seed: int = 0, lemmatizer: str = DEFAULT_LEMMATIZER
                        ) -> pd.DataFrame:
    """Per-label F1 of the old and the new model on out-of-fold predictions over the combined data.

    In each fold the old model is fitted on the fold's training rows the old data held, with their old labels,
    the new one on all training rows with people's labels; both are scored against people's labels on the
    held-out rows. Folds: `grouped_folds` over `group` and people's labels, as `uwagi crossval`.
    """
    analysed = analyse(data["text"].tolist(), lemmatizer) if analysed is None else analysed
    y = data["label"].astype(str).to_numpy(dtype=object)
    old_y = data["old_label"].to_numpy(dtype=object)
    folds = grouped_folds(y, data["group"].astype(str).to_numpy(), n_splits, seed)
    if not folds:
        raise UserError("za mało oznaczonych uwag, by porównać stary i nowy model walidacją krzyżową "
                        "(potrzeba co najmniej dwóch grup i dwóch uwag z jednym celem)")
    old_pred = np.empty(len(data), dtype=object)
    new_pred = np.empty(len(data), dtype=object)
    for fit_rows, test in folds:
        was_old = fit_rows[pd.notna(old_y[fit_rows])]
        old_model = _fit_labels(analysed.iloc[was_old], old_y[was_old], taxonomy, lemmatizer)
        old_pred[test] = _predict_labels(old_model, analysed.iloc[test])
        new_model = _fit_labels(analysed.iloc[fit_rows], y[fit_rows], taxonomy, lemmatizer)
        new_pred[test] = _predict_labels(new_model, analysed.iloc[test])
    labels = list(taxonomy.ids)
    support = pd.Series(y).value_counts()
    report = pd.DataFrame({
        "label": labels,
        "n": [int(support.get(lb, 0)) for lb in labels],
        "f1_old": f1_score(y, old_pred, labels=labels, average=None, zero_division=0),
        "f1_new": f1_score(y, new_pred, labels=labels, average=None, zero_division=0),
    })
    corrected = (data["origin"] == ORIGIN_CORRECTION).to_numpy()
    present = report["n"] > 0
    report.attrs.update(
        macro_old=float(report.loc[present, "f1_old"].mean()), macro_new=float(report.loc[present, "f1_new"].mean()),
        corrected=int(corrected.sum()), folds=len(folds),
        corrected_right_old=int((old_pred[corrected] == y[corrected]).sum()),
        corrected_right_new=int((new_pred[corrected] == y[corrected]).sum()),
    )
    return report


def training_jsonl(data: pd.DataFrame) -> str:
    """The combined labelled data in the form `uwagi train` reads back (`campaign` carries the CV groups)."""
    rows = data[["text", "label", "labels", "group", "comment_type", "origin", "fingerprint"]].rename(
        columns={"group": "campaign"})
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows.to_dict(orient="records"))


@dataclass
class Retrained:
    data: pd.DataFrame  # the combined labelled data (see `combine`)
    report: pd.DataFrame  # old vs new, per label (see `compare_out_of_fold`)
    model: CommentClassifier
    card: dict[str, Any]
    training_jsonl: str  # `data` as the model folder stores it; the card holds its SHA-256


def retrain(base: BaseModel, corrections: Mapping[str, Correction]) -> Retrained:
    """Apply the corrections to the base model's data, compare old and new out of fold, and fit the new model
    with the old one's lemmatizer and, when it can be loaded, its sentence encoder."""
    data = combine(base.data, corrections)
    # Comments new to the data get the type the old model gave them, so the comment-type model keeps learning.
    untyped = data["comment_type"].isna().to_numpy()
    if untyped.any() and not data["comment_type"].isna().all():
        data.loc[untyped, "comment_type"] = base.model.predict_frame(data.loc[untyped, "text"].tolist())[
            "comment_type"].to_numpy()
    lemmatizer = base.model.lemmatizer
    report = compare_out_of_fold(data, base.taxonomy, analyse(data["text"].tolist(), lemmatizer),
                                 lemmatizer=lemmatizer)
    content = training_jsonl(data)
    types = None if data["comment_type"].isna().any() else data["comment_type"].tolist()
    encoder = base.model.encoder if available(base.model.encoder) else None
    trained = train(CommentClassifier(base.taxonomy, lemmatizer=lemmatizer, encoder=encoder), data["text"].tolist(),
                    data["label"].tolist(), groups=data["group"].to_numpy(), comment_types=types,
                    data_sha256=hashlib.sha256(content.encode("utf-8")).hexdigest(),
                    secondary=data["labels"].tolist())
    return Retrained(data, report, trained.model, trained.card, content)
