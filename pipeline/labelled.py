"""Labelled comments for training and scoring a classifier: a file with texts and goal labels, read and checked.

`uwagi train`, `evaluate` and `crossval` read their DATA with it, and `uwagi learn` the data an old model learnt.
Rows that cannot be used are skipped and returned by reason; whoever called decides whether to say so. Several files
are one data set (`combine_labelled`): the default model learns the training split and the demo slice together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.folds import duplicate_groups
from pipeline.clean import clean_text, comment_body, fold
from pipeline.comment_type import COMMENT_TYPES
from pipeline.errors import UserError, plural
from pipeline.hashing import file_sha256
from pipeline.column_roles import part_of
from pipeline.ingest import find_text_columns, join_parts, join_text
from pipeline.readers import read_table
from pipeline.redact import redact_text
from pipeline.taxonomy import Taxonomy

_PRIMARY_HEADERS = ("label", "primary_label", "etykieta", "cel")
_MULTI_HEADERS = ("labels", "etykiety")
_GROUP_HEADERS = ("campaign", "kampania")
_TYPE_HEADERS = ("comment_type", "typ_uwagi")
# Why a row was skipped, in the order they are reported.
SKIP_UNREADABLE, SKIP_NO_TEXT, SKIP_NO_LABEL = "nieczytelne", "bez tekstu", "bez etykiety"


@dataclass
class LabelledData:
    texts: list[str]  # cleaned and redacted, as the pipeline's `text_clean`
    labels: list[str]  # primary label ids
    all_labels: list[list[str]]  # every label id of a comment, primary first (from the multi-label column)
    groups: np.ndarray  # cross-validation groups: a campaign or a repeated text is one group
    comment_types: list[str] | None
    sha256: str  # of the file; of several files, of their names and digests (`combine_labelled`)
    skipped: dict[str, list[int]] = field(default_factory=dict)  # reason → rows as a spreadsheet numbers them
    campaigns: list[str | None] = field(default_factory=list)  # each comment's campaign (None: none given)
    files: list[tuple[str, str]] = field(default_factory=list)  # (name, SHA-256) of each file read, in order


def _find_column(columns: list[str], explicit: str | None, candidates: tuple[str, ...], path: Path) -> str | None:
    if explicit:
        if explicit not in columns:
            raise UserError(f"brak kolumny (są: {', '.join(columns)})", path=path, column=explicit)
        return explicit
    by_key = {fold(c).replace(" ", "_"): c for c in columns}
    return next((by_key[k] for k in candidates if k in by_key), None)


def _split_labels(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            items = None
        if isinstance(items, list):
            return [str(v).strip() for v in items if str(v).strip()]
    return [part.strip() for part in value.split("|") if part.strip()]


def read_labelled(path: Path | str, taxonomy: Taxonomy, *, text_cols: Sequence[str] = (),
                  label_col: str | None = None, labels_col: str | None = None) -> LabelledData:
    """Texts (cleaned and redacted), label ids, CV groups and comment types of a CSV, XLSX or JSON Lines file.

    Text columns are found as `uwagi run` finds them unless `text_cols` names them; the label columns by their
    usual headers (label, primary_label, labels…) unless named. A label outside `taxonomy` or fewer than two
    different labels is a UserError; unreadable, empty and unlabelled rows are skipped and listed in `skipped`.
    """
    path = Path(path)
    table = read_table(path, text_cols=tuple(text_cols))
    frame = table.frame
    columns = [str(c) for c in frame.columns]
    found_text_cols = find_text_columns(columns, tuple(text_cols), path)
    primary_col = _find_column(columns, label_col, _PRIMARY_HEADERS, path)
    multi_col = _find_column(columns, labels_col, _MULTI_HEADERS, path)
    if primary_col is None and multi_col is None:
        raise UserError("nie znaleziono kolumny z etykietami (label, labels, primary_label); wskaż ją opcją "
                        "--label-col lub --labels-col", path=path)
    group_col = _find_column(columns, None, _GROUP_HEADERS, path)
    type_col = _find_column(columns, None, _TYPE_HEADERS, path)
    # What `uwagi run` classifies: the text columns' content without the headers that label them.
    parts = join_parts(frame, {c: part_of(c) or "text_comment" for c in found_text_cols})
    raw_texts = comment_body(pd.DataFrame({"text": join_text(frame, found_text_cols), **parts}))
    texts, labels, all_labels, campaigns, types, unknown = [], [], [], [], [], {}
    skipped: dict[str, list[int]] = {SKIP_UNREADABLE: [], SKIP_NO_TEXT: [], SKIP_NO_LABEL: []}
    for i, text in enumerate(raw_texts):
        row = table.rows[i]
        given = frame[primary_col].iat[i].strip() if primary_col else ""
        if not given and multi_col:
            given = next(iter(_split_labels(frame[multi_col].iat[i])), "")
        reason = (SKIP_UNREADABLE if i in table.errors else SKIP_NO_TEXT if not text.strip()
                  else SKIP_NO_LABEL if not given else None)
        if reason:
            skipped[reason].append(row)
            continue
        label_id = taxonomy.resolve(given)
        further = _split_labels(frame[multi_col].iat[i]) if multi_col else []
        resolved = [taxonomy.resolve(v) for v in further]
        for value in dict.fromkeys(v for v, r in zip([given, *further], [label_id, *resolved]) if r is None):
            unknown.setdefault(value, []).append(row)
        if label_id is None or None in resolved:
            continue
        texts.append(redact_text(clean_text(text))[0])
        labels.append(label_id)
        all_labels.append(list(dict.fromkeys([label_id, *resolved])))
        campaigns.append(frame[group_col].iat[i].strip() or None if group_col else None)
        types.append(frame[type_col].iat[i].strip() if type_col else "")
    if unknown:
        detail = "; ".join(f"{value!r} ({_rows(rows)})" for value, rows in unknown.items())
        raise UserError(f"etykiety spoza taksonomii {taxonomy.name!r}: {detail}", path=path,
                        column=primary_col or multi_col)
    if len(set(labels)) < 2:
        raise UserError("do uczenia i oceny potrzeba uwag z co najmniej dwiema różnymi etykietami", path=path)
    known_types = type_col is not None and all(t in COMMENT_TYPES for t in types)
    digest = file_sha256(path)
    return LabelledData(texts, labels, all_labels, duplicate_groups(texts, campaigns),
                        types if known_types else None, digest,
                        {reason: rows for reason, rows in skipped.items() if rows}, campaigns, [(path.name, digest)])


def combine_labelled(parts: Sequence[LabelledData]) -> LabelledData:
    """Labelled files read one by one (`read_labelled`) as one data set, rows in the order given.

    Groups are made anew over all rows, so a campaign or a repeated text spread over two files is still one
    cross-validation group. Skipped rows stay with their part: row numbers only mean something within one file.
    """
    if len(parts) == 1:
        return parts[0]
    texts = [t for part in parts for t in part.texts]
    campaigns = [c for part in parts for c in part.campaigns]
    files = [f for part in parts for f in part.files]
    types = None if any(part.comment_types is None for part in parts) else \
        [t for part in parts for t in part.comment_types]
    digest = hashlib.sha256("".join(f"{name}\t{sha}\n" for name, sha in files).encode("utf-8")).hexdigest()
    return LabelledData(texts, [y for part in parts for y in part.labels],
                        [labels for part in parts for labels in part.all_labels],
                        duplicate_groups(texts, campaigns), types, digest, {}, campaigns, files)


def card_entry(data: LabelledData) -> dict[str, Any]:
    """What a model card's `training_data` says of the files a model learnt, beside the data's `sha256`: the
    file's name, or each file's name and SHA-256 when there were several."""
    if len(data.files) == 1:
        return {"file": data.files[0][0]}
    return {"files": [{"file": name, "sha256": sha} for name, sha in data.files]}


def card_files(training_data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, SHA-256) of each file a model card's `training_data` (`card_entry`) says the model learnt."""
    if "files" in training_data:
        return [(str(f.get("file", "")), str(f.get("sha256", ""))) for f in training_data["files"]]
    name, digest = training_data.get("file"), training_data.get("sha256")
    return [(str(name), str(digest))] if name and digest else []


def skipped_summary(skipped: Mapping[str, list[int]]) -> str:
    """The skipped rows in one phrase for staff: "3 wiersze (bez tekstu: wiersz 4; bez etykiety: wiersze 7, 9)"."""
    detail = "; ".join(f"{reason}: {_rows(rows)}" for reason, rows in skipped.items() if rows)
    return f"{plural(sum(map(len, skipped.values())), 'wiersz', 'wiersze', 'wierszy')} ({detail})"


def _rows(rows: list[int]) -> str:
    listed = ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "")
    return f"{'wiersz' if len(rows) == 1 else 'wiersze'} {listed}"
