"""uwagi train: fit a classifier on labelled comments and save it with its model card.

Also home of the labelled-data reader shared by `evaluate` and `crossval` (same column options).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.classifier import DEFAULT_LEMMATIZER, CommentClassifier
from pipeline.commands.options import add_lemmatizer_argument, out_dir_arg
from pipeline.comment_type import COMMENT_TYPES
from pipeline.clean import clean_text, fold
from pipeline.errors import UserError, plural
from pipeline.export.atomic import check_out_dir
from pipeline.folds import duplicate_groups
from pipeline.hashing import file_sha256
from pipeline.ingest import find_text_columns, join_text
from pipeline.models import save_model
from pipeline.readers import read_table
from pipeline.redact import redact_text
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.training import train

NAME = "train"
SYNOPSIS = ("uwagi train DATA --taxonomy T --out MODEL_DIR [--text-col COL]... [--label-col COL] [--labels-col COL] "
            "[--lemmatizer NAME]")
HELP = "Wytrenuj klasyfikator celów programu na oznaczonych uwagach (CSV, XLSX, JSON Lines) i zapisz model."

_PRIMARY_HEADERS = ("label", "primary_label", "etykieta", "cel")
_MULTI_HEADERS = ("labels", "etykiety")
_GROUP_HEADERS = ("campaign", "kampania")
_TYPE_HEADERS = ("comment_type", "typ_uwagi")


def add_data_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", type=Path, metavar="DATA", help="uwagi z etykietami: CSV, XLSX lub JSON Lines")
    p.add_argument("--text-col", action="append", default=[], metavar="COL",
                   help="kolumna z treścią (można podać kilka razy, np. tytuł i opis)")
    p.add_argument("--label-col", metavar="COL",
                   help="kolumna z (główną) etykietą, jej identyfikatorem lub nazwą "
                        "(domyślnie: label lub primary_label)")
    p.add_argument("--labels-col", metavar="COL",
                   help="kolumna ze wszystkimi etykietami, rozdzielonymi '|' lub jako lista JSON, główna pierwsza "
                        "(domyślnie: labels)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    p.add_argument("--taxonomy", required=True, type=Path, metavar="T", help="taksonomia celów (plik TOML)")
    p.add_argument("--out", required=True, type=out_dir_arg, metavar="MODEL_DIR",
                   help="katalog na model.joblib i model.json")
    add_training_lemmatizer(p)


def add_training_lemmatizer(p: argparse.ArgumentParser) -> None:
    add_lemmatizer_argument(p, DEFAULT_LEMMATIZER,
                            "lematyzator warstwy języka polskiego; model zapamiętuje go i używa przy klasyfikacji")


@dataclass
class LabelledData:
    texts: list[str]
    labels: list[str]  # primary label ids
    all_labels: list[list[str]]  # every label id of a comment, primary first (from the multi-label column)
    groups: np.ndarray
    comment_types: list[str] | None
    sha256: str


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


def read_labelled(args: argparse.Namespace, taxonomy: Taxonomy) -> LabelledData:
    """Texts (cleaned and redacted, as the pipeline's `text_clean`), label ids, CV groups and comment types."""
    path = args.data
    table = read_table(path, text_cols=tuple(args.text_col))
    frame = table.frame
    columns = [str(c) for c in frame.columns]
    text_cols = find_text_columns(columns, tuple(args.text_col), path)
    primary_col = _find_column(columns, args.label_col, _PRIMARY_HEADERS, path)
    multi_col = _find_column(columns, args.labels_col, _MULTI_HEADERS, path)
    if primary_col is None and multi_col is None:
        raise UserError("nie znaleziono kolumny z etykietami (label, labels, primary_label); wskaż ją opcją "
                        "--label-col lub --labels-col", path=path)
    group_col = _find_column(columns, None, _GROUP_HEADERS, path)
    type_col = _find_column(columns, None, _TYPE_HEADERS, path)
    raw_texts = join_text(frame, text_cols)
    texts, labels, all_labels, campaigns, types, unknown = [], [], [], [], [], {}
    skipped: dict[str, list[int]] = {"nieczytelne": [], "bez tekstu": [], "bez etykiety": []}
    for i, text in enumerate(raw_texts):
        row = table.rows[i]
        given = frame[primary_col].iat[i].strip() if primary_col else ""
        if not given and multi_col:
            given = next(iter(_split_labels(frame[multi_col].iat[i])), "")
        reason = ("nieczytelne" if i in table.errors else "bez tekstu" if not text.strip()
                  else "bez etykiety" if not given else None)
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
    digest = file_sha256(path)
    known_types = type_col is not None and all(t in COMMENT_TYPES for t in types)
    if any(skipped.values()):
        detail = "; ".join(f"{reason}: {_rows(rows)}" for reason, rows in skipped.items() if rows)
        count = plural(sum(map(len, skipped.values())), "wiersz", "wiersze", "wierszy")
        print(f"uwagi: {path}: pominięto {count} ({detail})", file=sys.stderr)
    return LabelledData(texts, labels, all_labels, duplicate_groups(texts, campaigns),
                        types if known_types else None, digest)


def _rows(rows: list[int]) -> str:
    listed = ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "")
    return f"{'wiersz' if len(rows) == 1 else 'wiersze'} {listed}"


def handle(args: argparse.Namespace) -> int:
    check_out_dir(args.out)
    taxonomy = load_taxonomy(args.taxonomy)
    data = read_labelled(args, taxonomy)
    trained = train(CommentClassifier(taxonomy, lemmatizer=args.lemmatizer), data.texts, data.labels,
                    groups=data.groups, comment_types=data.comment_types, data_sha256=data.sha256,
                    secondary=data.all_labels)
    trained.card["training_data"]["file"] = Path(args.data).name
    save_model(trained.model, trained.card, args.out)
    cv = trained.card["cross_validation"]
    print(f"uwagi: model zapisano w {args.out} ({len(data.texts)} uwag; walidacja krzyżowa: macro-F1 "
          f"{cv.get('macro_f1', 0):.3f}, trafność {cv.get('accuracy', 0):.3f})", file=sys.stderr)
    return 0
