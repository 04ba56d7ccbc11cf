"""Saving and loading trained models: `model.joblib` plus `model.json`, the model card.

Unpickling runs code, so the loader first checks the sha256 of `model.joblib` against the card and refuses a
model trained for another taxonomy before touching the pickle.
"""

from __future__ import annotations

import json
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib

from pipeline.errors import UserError
from pipeline.hashing import file_sha256
from pipeline.taxonomy import Taxonomy

MODEL_FILE = "model.joblib"
CARD_FILE = "model.json"
CARD_FORMAT = 1
_LIBRARIES = ("uwagi", "scikit-learn", "numpy", "scipy", "pandas", "simplemma", "morfeusz2", "joblib")




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
    if taxonomy is not None and card.get("taxonomy", {}).get("sha256") != taxonomy.sha256:
        raise UserError(
            f"model wytrenowano dla taksonomii {card.get('taxonomy', {}).get('name')!r}, "
            f"a podano {taxonomy.name!r} (inna treść taksonomii); wytrenuj model ponownie (uwagi train)",
            path=model_dir,
        )
    model_path = model_dir / card.get("model_file", MODEL_FILE)
    if not model_path.is_file():
        raise UserError(f"brak pliku {model_path.name}", path=model_dir)
    if file_sha256(model_path) != card["model_sha256"]:
        raise UserError(f"suma sha256 pliku {model_path.name} nie zgadza się z model.json — plik zmieniono "
                        "lub uszkodzono; nie wczytuję go", path=model_dir)
    return joblib.load(model_path), card
