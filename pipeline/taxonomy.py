"""Goal taxonomies: TOML files with `name`, `language` and `[[label]]` tables, validated on load.

A label is given in data either by its `id` or by its `name`; `Taxonomy.resolve` accepts both, ignoring case and
Polish diacritics, because spreadsheets typed by hand rarely match exactly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.clean import fold
from pipeline.errors import UserError, read_toml

_LABEL_TEXT_FIELDS = ("id", "name", "goal", "description")


@dataclass(frozen=True)
class Label:
    id: str
    name: str
    goal: str
    description: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    name: str
    language: str
    labels: tuple[Label, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(label.id for label in self.labels)

    @property
    def sha256(self) -> str:
        """Hash of the content (not the file bytes), so comments and formatting do not change it."""
        canonical = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def label(self, label_id: str) -> Label:
        for label in self.labels:
            if label.id == label_id:
                return label
        raise KeyError(label_id)

    def resolve(self, value: str) -> str | None:
        """The id of the label given by id or name, or None when no label matches."""
        key = fold(value)
        if not key:
            return None
        for label in self.labels:
            if key in (fold(label.id), fold(label.name)):
                return label.id
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "language": self.language,
            "label": [
                {"id": lb.id, "name": lb.name, "goal": lb.goal, "description": lb.description,
                 "keywords": list(lb.keywords)}
                for lb in self.labels
            ],
        }


def taxonomy_from_dict(data: dict[str, Any], path: Path | str | None = None) -> Taxonomy:
    """Validate parsed TOML; every problem is a UserError naming the file and the label."""
    for key in ("name", "language"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise UserError(f"brak pola {key!r} (niepusty tekst) w taksonomii", path=path)
    raw_labels = data.get("label")
    if not isinstance(raw_labels, list) or not raw_labels:
        raise UserError("taksonomia nie ma żadnej etykiety ([[label]])", path=path)
    labels: list[Label] = []
    seen_ids: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for number, raw in enumerate(raw_labels, start=1):
        where = f"etykieta nr {number}"
        if not isinstance(raw, dict):
            raise UserError(f"{where}: oczekiwano tabeli [[label]]", path=path)
        for key in _LABEL_TEXT_FIELDS:
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise UserError(f"{where}: brak pola {key!r} (niepusty tekst)", path=path)
        keywords = raw.get("keywords")
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
            raise UserError(f"{where} ({raw['id']}): pole 'keywords' musi być listą niepustych tekstów", path=path)
        label_id = raw["id"].strip()
        if label_id in seen_ids:
            raise UserError(f"powtórzony identyfikator etykiety {label_id!r} (etykiety nr {seen_ids[label_id]} i "
                            f"{number})", path=path)
        name_key = fold(raw["name"])
        if name_key in seen_names:
            raise UserError(f"powtórzona nazwa etykiety {raw['name']!r} (etykiety nr {seen_names[name_key]} i "
                            f"{number})", path=path)
        seen_ids[label_id], seen_names[name_key] = number, number
        labels.append(Label(label_id, raw["name"].strip(), raw["goal"].strip(), raw["description"].strip(),
                            tuple(k.strip() for k in keywords)))
    return Taxonomy(data["name"].strip(), data["language"].strip(), tuple(labels))


def load_taxonomy(path: Path | str) -> Taxonomy:
    return taxonomy_from_dict(read_toml(path, "taksonomii"), path)
