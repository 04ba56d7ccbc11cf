"""uwagi learn: read staff corrections back from triage.xlsx, store them with provenance, retrain, compare.

The workbook may have been saved by Excel or LibreOffice, re-sorted or filtered: rows are found by the headers of
"Uwagi", never by position, and each comment is keyed by its content fingerprint (the hidden column the export
writes; recomputed from the text when a person deleted that column).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold

from pipeline.classifier import CommentClassifier
from pipeline.clean import clean_text, fold
from pipeline.corrections import (
    CORRECTIONS_FILE, DECISIONS, Correction, changes, corrections_jsonl, effective, fingerprint, read_corrections,
    resolve_decision,
)
from pipeline.errors import UserError
from pipeline.export.atomic import check_out_dir
from pipeline.export.xlsx import (
    H_ANSWER, H_DECISION, H_FINGERPRINT, H_ID, H_LABEL_FIX, H_TEXT, SHEET_COMMENTS, SHEET_TAXONOMY, label_names,
)
from pipeline.features import analyse
from pipeline.folds import CV_FOLDS, duplicate_groups
from pipeline.hashing import file_sha256
from pipeline.models import load_model, save_model
from pipeline.redact import redact_text
from pipeline.resources import resource_path
from pipeline.taxonomy import Taxonomy
from pipeline.training import train

REQUIRED_HEADERS = (H_ID, H_TEXT, H_LABEL_FIX, H_DECISION, H_ANSWER)
# Staff sometimes add a title row above the header before saving; look a few rows down for it.
_HEADER_SEARCH_ROWS = 5


def _value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def redacted(text: str) -> str:
    """The run's `text_clean` for a text shown in the workbook: cleaned, then redacted."""
    return redact_text(clean_text(text))[0]


def _rows(path: Path, sheet: str = SHEET_COMMENTS, required: bool = True) -> Iterator[tuple[int, tuple[Any, ...]]]:
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise UserError("nie ma takiego pliku", path=path) from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise UserError(f"plik nie jest skoroszytem .xlsx albo jest uszkodzony ({type(exc).__name__})",
                        path=path) from None
    try:
        if sheet not in wb.sheetnames:
            if required:
                raise UserError(f"to nie jest arkusz triage.xlsx programu uwagi: brak arkusza „{sheet}”", path=path)
            return
        for n, row in enumerate(wb[sheet].iter_rows(values_only=True), start=1):
            yield n, row
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UserError(f"uszkodzony skoroszyt ({type(exc).__name__}: {exc})", path=path) from None
    finally:
        wb.close()


def _header_positions(row: Sequence[Any]) -> dict[str, int]:
    by_key = {fold(_value(v)): j for j, v in enumerate(row) if _value(v)}
    return {h: by_key[fold(h)] for h in (*REQUIRED_HEADERS, H_FINGERPRINT) if fold(h) in by_key}


@dataclass(frozen=True)
class Edits:
    """The rows of "Uwagi" where a person filled a staff column, as typed: (sheet row, cells by header), each with
    its fingerprint filled in."""

    path: Path
    sha256: str
    rows: list[tuple[int, dict[str, str]]]
    labels: frozenset[str] = frozenset()  # folded ids and names of the goals the workbook was made with


def _workbook_labels(path: Path) -> frozenset[str]:
    """The goals in "Słownik celów": its rows below the header up to the first blank one (the decisions follow)."""
    labels: set[str] = set()
    for n, row in _rows(path, SHEET_TAXONOMY, required=False):
        if n == 1:
            continue
        if not row or not _value(row[0]):
            break
        labels.update(fold(_value(v)) for v in row[:2] if _value(v))
    return frozenset(labels)


def read_edits(path: Path | str) -> Edits:
    """Check the workbook is a triage.xlsx and collect its edited rows; a foreign or damaged file is a UserError.

    Rows are matched by `ID`: one comment filled in twice with different values is refused, naming both rows.
    """
    path = Path(path)
    pos: dict[str, int] | None = None
    seen: dict[str, tuple[int, tuple[str, ...]]] = {}
    rows: list[tuple[int, dict[str, str]]] = []
    for n, row in _rows(path):
        if pos is None:
            found = _header_positions(row)
            if H_ID in found and H_LABEL_FIX in found:
                missing = [h for h in REQUIRED_HEADERS if h not in found]
                if missing:
                    raise UserError(f"w arkuszu „{SHEET_COMMENTS}” brak kolumn: {', '.join(missing)}", path=path)
                pos = found
            elif n >= _HEADER_SEARCH_ROWS:
                break
            continue
        cells = {h: _value(row[j]) if j < len(row) else "" for h, j in pos.items()}
        values = (fold(cells[H_LABEL_FIX]), fold(cells[H_DECISION]), cells[H_ANSWER])
        if not any(values) or not (cells[H_ID] or cells[H_TEXT] or cells.get(H_FINGERPRINT)):
            continue
        # Which comment it is, once per row: the hidden fingerprint, else that of the text (a workbook without it).
        cells[H_FINGERPRINT] = cells.get(H_FINGERPRINT) or fingerprint(redacted(cells[H_TEXT]))
        key = cells[H_ID] or cells[H_FINGERPRINT]  # a cleared ID cell loses nothing
        if key in seen:
            first_row, first_values = seen[key]
            if first_values != values:
                raise UserError(f"uwaga {key!r} występuje też w wierszu {first_row} z inną poprawką",
                                path=path, row=n, column=H_ID)
            continue
        seen[key] = (n, values)
        rows.append((n, cells))
    if pos is None:
        raise UserError(f"to nie jest arkusz triage.xlsx programu uwagi: w arkuszu „{SHEET_COMMENTS}” nie ma "
                        f"kolumn „{H_ID}” i „{H_LABEL_FIX}”", path=path)
    # The sheet's order is the staff's sorting, and its ID cells may be cleared: the new model depends on neither.
    rows.sort(key=lambda r: r[1][H_FINGERPRINT])
    return Edits(path, file_sha256(path), rows, _workbook_labels(path))


def corrections_from(edits: Edits, taxonomy: Taxonomy, now: datetime | None = None) -> list[Correction]:
    """The edits as corrections with provenance. Labels may be given by name (the dropdown) or id, decisions
    without Polish letters; an unknown one is a UserError naming the row and column."""
    date = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    out = []
    for n, cells in edits.rows:
        label_raw, decision_raw, answer = cells[H_LABEL_FIX], cells[H_DECISION], cells[H_ANSWER]
        label = taxonomy.resolve(label_raw) if label_raw else None
        if label_raw and label is None and fold(label_raw) in edits.labels:
            raise UserError(f"cel {label_raw!r} pochodzi z taksonomii, z którą powstał arkusz, a model jest dla "
                            f"taksonomii {taxonomy.name!r}; podaj --model wytrenowany dla tamtej taksonomii",
                            path=edits.path, row=n, column=H_LABEL_FIX)
        if label_raw and label is None:
            raise UserError(f"nieznany cel {label_raw!r} (dozwolone nazwy i identyfikatory z arkusza "
                            f"„{SHEET_TAXONOMY}”)", path=edits.path, row=n, column=H_LABEL_FIX)
        # The workbook shows a comment's decision and answer filled in from earlier rounds, so an empty cell in an
        # edited row means staff cleared it: "" (not None, which would keep the earlier value).
        decision = resolve_decision(decision_raw) if decision_raw else ""
        if decision_raw and decision is None:
            raise UserError(f"nieznana decyzja {decision_raw!r} (dozwolone: {', '.join(DECISIONS)})",
                            path=edits.path, row=n, column=H_DECISION)
        text = redacted(cells[H_TEXT])
        out.append(Correction(
            fingerprint=cells[H_FINGERPRINT], comment_id=cells[H_ID], text=text,
            label=label, decision=decision, answer=answer,
            workbook=edits.path.name, workbook_sha256=edits.sha256, sheet=SHEET_COMMENTS, row=n, date=date,
        ))
    return out


def read_workbook(path: Path | str, taxonomy: Taxonomy, now: datetime | None = None) -> list[Correction]:
    """Every row of "Uwagi" where a person set a label, a decision or an answer, as corrections with provenance."""
    return corrections_from(read_edits(path), taxonomy, now)


# --------------------------------------------------------------------------------------------- labelled data

# --------------------------------------------------------------------------------------------- labelled data

TRAINING_FILE = "training.jsonl"
LEARN_FILE = "learn.json"
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


def _training_file(model_dir: Path, card: dict[str, Any]) -> Path:
    """The labelled data a model learnt, found by the name and SHA-256 its card records: in the model folder
    (models made by `uwagi learn`) or among the bundled data (models made by `uwagi train`, like the default)."""
    info = card.get("training_data", {})
    name, digest = info.get("file"), info.get("sha256")
    if name and digest:
        for candidate in [model_dir / name, *sorted(resource_path("data").rglob(name))]:
            if candidate.is_file() and file_sha256(candidate) == digest:
                return candidate
    raise UserError(f"nie znaleziono danych, na których uczono model (plik {name!r}, SHA-256 "
                    f"{str(digest)[:12]}…); połóż ten plik w katalogu modelu", path=model_dir)


def load_base_model(model_dir: Path) -> BaseModel:
    model, card = load_model(model_dir)
    if not isinstance(model, CommentClassifier):
        raise UserError("plik modelu nie zawiera klasyfikatora uwagi", path=model_dir)
    # The labelled-data reader lives with `uwagi train`; importing it at module level would import every command,
    # this one included, in a cycle.
    from pipeline.commands.train import read_labelled

    path = _training_file(model_dir, card)
    labelled = read_labelled(argparse.Namespace(data=path, text_col=[], label_col=None, labels_col=None),
                             model.taxonomy)
    data = pd.DataFrame({"text": labelled.texts, "label": labelled.labels, "labels": labelled.all_labels,
                         "group": [f"g{g}" for g in labelled.groups],
                         "comment_type": labelled.comment_types or [None] * len(labelled.texts)})
    return BaseModel(model, card, data)


def _fit_labels(analysed: pd.DataFrame, y: np.ndarray, taxonomy: Taxonomy) -> CommentClassifier:
    # Only the argmax is scored, which calibration does not change: skip its inner cross-validation.
    return CommentClassifier(taxonomy, calibration_folds=0).fit_analysed(analysed, y)


def _predict_labels(model: CommentClassifier, analysed: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.taxonomy.ids, dtype=object)[model.predict_proba_analysed(analysed).argmax(axis=1)]


def compare_out_of_fold(data: pd.DataFrame, taxonomy: Taxonomy, analysed: pd.DataFrame | None = None,
                        n_splits: int = CV_FOLDS, seed: int = 0) -> pd.DataFrame:
    """Per-label F1 of the old and the new model on out-of-fold predictions over the combined data.

    In each fold the old model is fitted on the fold's training rows the old data held, with their old labels,
    the new one on all training rows with people's labels; both are scored against people's labels on the
    held-out rows. Folds: StratifiedGroupKFold(5, shuffle, random_state=0) over `group`, as `uwagi crossval`.
    """
    analysed = analyse(data["text"].tolist()) if analysed is None else analysed
    y = data["label"].astype(str).to_numpy(dtype=object)
    old_y = data["old_label"].to_numpy(dtype=object)
    groups = data["group"].astype(str).to_numpy()
    k = max(2, min(n_splits, len(set(groups))))
    old_pred = np.empty(len(data), dtype=object)
    new_pred = np.empty(len(data), dtype=object)
    with warnings.catch_warnings():
        # A label with fewer members than folds is normal for a handful of corrections.
        warnings.simplefilter("ignore", UserWarning)
        folds = list(StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed).split(y, y, groups))
    for train, test in folds:
        was_old = train[pd.notna(old_y[train])]
        old_model = _fit_labels(analysed.iloc[was_old], old_y[was_old], taxonomy)
        old_pred[test] = _predict_labels(old_model, analysed.iloc[test])
        new_pred[test] = _predict_labels(_fit_labels(analysed.iloc[train], y[train], taxonomy), analysed.iloc[test])
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
        corrected=int(corrected.sum()), folds=k,
        corrected_right_old=int((old_pred[corrected] == y[corrected]).sum()),
        corrected_right_new=int((new_pred[corrected] == y[corrected]).sum()),
    )
    return report


def format_report(report: pd.DataFrame, names: Mapping[str, str]) -> str:
    """The comparison as a plain-text table for the terminal."""
    width = max([len(names.get(lb, lb)) for lb in report["label"]] + [len("macro-F1")])
    lines = [f"{'cel':<{width}}  {'uwag':>5}  {'F1 stary':>8}  {'F1 nowy':>8}  {'zmiana':>7}"]
    for row in report.itertuples(index=False):
        lines.append(f"{names.get(row.label, row.label):<{width}}  {row.n:>5}  {row.f1_old:>8.3f}  "
                     f"{row.f1_new:>8.3f}  {row.f1_new - row.f1_old:>+7.3f}")
    a = report.attrs
    lines.append(f"{'macro-F1':<{width}}  {int(report['n'].sum()):>5}  {a['macro_old']:>8.3f}  "
                 f"{a['macro_new']:>8.3f}  {a['macro_new'] - a['macro_old']:>+7.3f}")
    lines.append(f"Uwagi z celem wskazanym przez pracowników: {a['corrected']}; trafione poza próbą: "
                 f"stary model {a['corrected_right_old']}, nowy {a['corrected_right_new']} "
                 f"({a['folds']}-krotna walidacja krzyżowa; kampanie i powtórzone teksty w jednej części).")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- the command


def write_dir_atomic(final: Path, writer: Callable[[Path], None]) -> Path:
    """Fill a temporary sibling folder, then rename it into place: a crash never leaves half a model."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        writer(tmp)
        umask = os.umask(0)  # mkdtemp makes a private 0700 folder; a model folder is shared like any output
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        if final.exists():
            final.rmdir()  # checked empty by the caller
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return final


@dataclass
class LearnResult:
    out_dir: Path
    report: pd.DataFrame
    names: dict[str, str]
    counts: dict[str, int]


def training_jsonl(data: pd.DataFrame) -> str:
    """The combined labelled data in the form `uwagi train` reads back (`campaign` carries the CV groups)."""
    rows = data[["text", "label", "labels", "group", "comment_type", "origin", "fingerprint"]].rename(
        columns={"group": "campaign"})
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows.to_dict(orient="records"))


def _fresh_dir(out_dir: Path, model_dir: Path) -> None:
    if out_dir.resolve() == model_dir.resolve():
        raise UserError("nowy model musi trafić do innego katalogu niż stary (--out)", path=out_dir)
    check_out_dir(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UserError("katalog docelowy istnieje i nie jest pusty; podaj nowy katalog", path=out_dir)


def learn(workbook: Path | str, model_dir: Path | str, out_dir: Path | str, now: datetime | None = None
          ) -> LearnResult:
    """Read the workbook's corrections, append them to the old model's log, retrain on the combined labelled data
    and write the new model folder: model.joblib, model.json, training.jsonl, corrections.jsonl, learn.json."""
    workbook, model_dir, out_dir = Path(workbook), Path(model_dir), Path(out_dir)
    _fresh_dir(out_dir, model_dir)
    edits = read_edits(workbook)  # a foreign or damaged workbook fails before the model is loaded
    base = load_base_model(model_dir)
    taxonomy = base.model.taxonomy
    records = corrections_from(edits, taxonomy, now)
    log = read_corrections(model_dir)
    new = changes(records, effective(log))
    if not new:
        raise UserError(f"arkusz nie zawiera nowych poprawek (kolumny „{H_LABEL_FIX}”, „{H_DECISION}” i "
                        f"„{H_ANSWER}” są puste albo takie jak w modelu)", path=workbook)
    log = [*log, *new]
    data = combine(base.data, effective(log))
    # Comments new to the data get the type the old model gave them, so the comment-type model keeps learning.
    untyped = data["comment_type"].isna().to_numpy()
    if untyped.any() and not data["comment_type"].isna().all():
        data.loc[untyped, "comment_type"] = base.model.predict_frame(data.loc[untyped, "text"].tolist())[
            "comment_type"].to_numpy()
    analysed = analyse(data["text"].tolist(), base.model.lemmatizer)
    report = compare_out_of_fold(data, taxonomy, analysed)

    content = training_jsonl(data)
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    types = None if data["comment_type"].isna().any() else data["comment_type"].tolist()
    trained = train(CommentClassifier(taxonomy, lemmatizer=base.model.lemmatizer), data["text"].tolist(),
                    data["label"].tolist(), groups=data["group"].to_numpy(), comment_types=types, data_sha256=digest,
                    secondary=data["labels"].tolist())
    counts = {
        "labels": sum(r.label is not None for r in new), "decisions": sum(r.decision is not None for r in new),
        "answers": sum(r.answer is not None for r in new), "data": len(data),
        "corrected": int((data["origin"] == ORIGIN_CORRECTION).sum()),
    }
    trained.card["training_data"]["file"] = TRAINING_FILE
    trained.card["learned_from"] = {
        "workbook": workbook.name, "workbook_sha256": new[0].workbook_sha256, "date": new[0].date,
        "base_model": str(model_dir), "base_model_sha256": base.card.get("model_sha256"), "counts": counts,
    }
    summary = {
        **trained.card["learned_from"],
        "f1_out_of_fold": {row.label: {"n": row.n, "old": round(row.f1_old, 4), "new": round(row.f1_new, 4)}
                           for row in report.itertuples(index=False)},
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in report.attrs.items()},
    }

    def write(tmp: Path) -> None:
        save_model(trained.model, trained.card, tmp)
        (tmp / TRAINING_FILE).write_text(content, encoding="utf-8")
        (tmp / CORRECTIONS_FILE).write_text(corrections_jsonl(log), encoding="utf-8")
        (tmp / LEARN_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    write_dir_atomic(out_dir, write)
    return LearnResult(out_dir, report, label_names(taxonomy), counts)
