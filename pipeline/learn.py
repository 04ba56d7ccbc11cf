"""uwagi learn: read staff corrections back from triage.xlsx, store them with provenance, retrain, compare.

The workbook may have been saved by Excel or LibreOffice, re-sorted or filtered: rows are found by the headers of
"Uwagi", never by position, and each comment is keyed by its content fingerprint (the hidden column the export
writes; recomputed from the text when a person deleted that column).
"""

from __future__ import annotations

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

from pipeline.clean import clean_text, fold
from pipeline.corrections import (
    CORRECTIONS_FILE, Correction, changes, corrections_jsonl, effective, fingerprint, read_corrections,
    resolve_decision,
)
from pipeline.errors import UserError
from pipeline.export.xlsx import (
    H_ANSWER, H_DECISION, H_FINGERPRINT, H_ID, H_LABEL_FIX, H_TEXT, SHEET_COMMENTS, SHEET_TAXONOMY, label_names,
)
from pipeline.redact import redact_text
from pipeline.taxonomy import Taxonomy

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


def _rows(path: Path) -> Iterator[tuple[int, tuple[Any, ...]]]:
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise UserError("nie ma takiego pliku", path=path) from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise UserError(f"plik nie jest skoroszytem .xlsx albo jest uszkodzony ({type(exc).__name__})", path=path) from None
    try:
        if SHEET_COMMENTS not in wb.sheetnames:
            raise UserError(f"to nie jest arkusz triage.xlsx programu uwagi: brak arkusza „{SHEET_COMMENTS}”",
                            path=path)
        for n, row in enumerate(wb[SHEET_COMMENTS].iter_rows(values_only=True), start=1):
            yield n, row
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UserError(f"uszkodzony skoroszyt ({type(exc).__name__}: {exc})", path=path) from None
    finally:
        wb.close()


def _header_positions(row: Sequence[Any]) -> dict[str, int]:
    by_key = {fold(_value(v)): j for j, v in enumerate(row) if _value(v)}
    return {h: by_key[fold(h)] for h in (*REQUIRED_HEADERS, H_FINGERPRINT) if fold(h) in by_key}


def read_workbook(path: Path | str, taxonomy: Taxonomy, now: datetime | None = None) -> list[Correction]:
    """Every row of "Uwagi" where a person set a label, a decision or an answer, as corrections with provenance.

    Labels may be given by name (the dropdown) or id; an unknown label or decision is a UserError naming the row.
    """
    path = Path(path)
    date = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    pos: dict[str, int] | None = None
    seen: dict[str, tuple[int, tuple[str, str, str]]] = {}
    out: list[Correction] = []
    for n, row in _rows(path):
        if pos is None:
            found = _header_positions(row)
            if H_ID in found and H_LABEL_FIX in found:
                missing = [h for h in REQUIRED_HEADERS if h not in found]
                if missing:
                    raise UserError(f"w arkuszu „{SHEET_COMMENTS}” brak kolumn: {', '.join(missing)}", path=path)
                pos = found
            elif n >= _HEADER_SEARCH_ROWS:
                raise UserError(f"to nie jest arkusz triage.xlsx programu uwagi: w arkuszu „{SHEET_COMMENTS}” "
                                f"nie ma kolumn „{H_ID}” i „{H_LABEL_FIX}”", path=path)
            continue
        cells = {h: _value(row[j]) if j < len(row) else "" for h, j in pos.items()}
        comment_id = cells[H_ID]
        label_raw, decision_raw, answer = cells[H_LABEL_FIX], cells[H_DECISION], cells[H_ANSWER]
        if not comment_id or not (label_raw or decision_raw or answer):
            continue
        label = taxonomy.resolve(label_raw) if label_raw else None
        if label_raw and label is None:
            raise UserError(f"nieznany cel {label_raw!r} (dozwolone nazwy i identyfikatory z arkusza "
                            f"„{SHEET_TAXONOMY}”)", path=path, row=n, column=H_LABEL_FIX)
        decision = resolve_decision(decision_raw) if decision_raw else None
        if decision_raw and decision is None:
            raise UserError(f"nieznana decyzja {decision_raw!r}", path=path, row=n, column=H_DECISION)
        values = (label or "", decision or "", answer)
        if comment_id in seen:
            first_row, first_values = seen[comment_id]
            if first_values != values:
                raise UserError(f"uwaga {comment_id!r} występuje też w wierszu {first_row} z inną poprawką",
                                path=path, row=n, column=H_ID)
            continue
        seen[comment_id] = (n, values)
        text = redacted(cells[H_TEXT])
        out.append(Correction(
            fingerprint=cells.get(H_FINGERPRINT) or fingerprint(text), comment_id=comment_id, text=text,
            label=label, decision=decision, answer=answer or None,
            workbook=path.name, workbook_sha256=digest, sheet=SHEET_COMMENTS, row=n, date=date,
        ))
    if pos is None:
        raise UserError(f"to nie jest arkusz triage.xlsx programu uwagi: w arkuszu „{SHEET_COMMENTS}” nie ma "
                        f"kolumn „{H_ID}” i „{H_LABEL_FIX}”", path=path)
    return out


# --------------------------------------------------------------------------------------------- labelled data

TRAINING_FILE = "training.jsonl"
LEARN_FILE = "learn.json"
ORIGIN_DATA, ORIGIN_CORRECTION = "dane uczące", "korekta"


def combine(old: pd.DataFrame, corrections: Mapping[str, Correction]) -> pd.DataFrame:
    """The old labelled data with people's labels applied, plus the corrected comments it did not hold.

    `old` has `text`, `label`, `group`; the result adds `fingerprint`, `old_label` (the label the old model was
    trained on, None for a comment new to the data) and `origin`. Groups keep a campaign or a repeated text in one
    cross-validation fold; a new comment is its own group unless its text is already in the data.
    """
    data = old[["text", "label", "group"]].copy()
    data["fingerprint"] = data["text"].map(fingerprint)
    data["old_label"] = data["label"]
    data["origin"] = ORIGIN_DATA
    labelled = {fp: c.label for fp, c in corrections.items() if c.label}
    hit = data["fingerprint"].isin(labelled)
    data.loc[hit, "label"] = data.loc[hit, "fingerprint"].map(labelled)
    data.loc[hit, "origin"] = ORIGIN_CORRECTION
    known = set(data["fingerprint"])
    new = [c for fp, c in corrections.items() if c.label and fp not in known]
    extra = pd.DataFrame({
        "text": [c.text for c in new], "label": [c.label for c in new], "group": [f"fp:{c.fingerprint}" for c in new],
        "fingerprint": [c.fingerprint for c in new], "old_label": [None] * len(new), "origin": ORIGIN_CORRECTION,
    })
    return pd.concat([data, extra], ignore_index=True)


Fit = Callable[[Sequence[str], Sequence[str]], Any]
Predict = Callable[[Any, Sequence[str]], Sequence[str]]


def compare_out_of_fold(
    data: pd.DataFrame, label_ids: Sequence[str], fit: Fit, predict: Predict, n_splits: int = 5, seed: int = 0
) -> pd.DataFrame:
    """Per-label F1 of the old and the new model on out-of-fold predictions over the combined data.

    In each fold the old model is fitted on the fold's training rows the old data held, with their old labels,
    the new one on all training rows with people's labels; both are scored against people's labels on the
    held-out rows. Folds: StratifiedGroupKFold over `group`, as `uwagi crossval` uses.
    """
    texts = data["text"].astype(str).to_numpy(dtype=object)
    y = data["label"].astype(str).to_numpy(dtype=object)
    old_y = data["old_label"].to_numpy(dtype=object)
    groups = data["group"].astype(str).to_numpy()
    k = max(2, min(n_splits, len(set(groups))))
    old_pred = np.empty(len(data), dtype=object)
    new_pred = np.empty(len(data), dtype=object)
    with warnings.catch_warnings():
        # A label with fewer members than folds is normal for a handful of corrections.
        warnings.simplefilter("ignore", UserWarning)
        folds = list(StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed).split(texts, y, groups))
    for train, test in folds:
        was_old = train[pd.notna(old_y[train])]
        old_pred[test] = predict(fit(list(texts[was_old]), list(old_y[was_old])), list(texts[test]))
        new_pred[test] = predict(fit(list(texts[train]), list(y[train])), list(texts[test]))
    labels = list(label_ids)
    support = pd.Series(y).value_counts()
    report = pd.DataFrame({
        "label": labels,
        "n": [int(support.get(lb, 0)) for lb in labels],
        "f1_old": f1_score(y, old_pred, labels=labels, average=None, zero_division=0),
        "f1_new": f1_score(y, new_pred, labels=labels, average=None, zero_division=0),
    })
    corrected = (data["origin"] == ORIGIN_CORRECTION).to_numpy()
    report.attrs.update(
        macro_old=float(report.loc[report["n"] > 0, "f1_old"].mean()),
        macro_new=float(report.loc[report["n"] > 0, "f1_new"].mean()),
        corrected=int(corrected.sum()), folds=k,
        corrected_right_old=int((old_pred[corrected] == y[corrected]).sum()),
        corrected_right_new=int((new_pred[corrected] == y[corrected]).sum()),
    )
    return report


def format_report(report: pd.DataFrame, names: Mapping[str, str]) -> str:
    """The comparison as a plain-text table for the terminal (Polish, like everything staff read)."""
    width = max([len(names.get(lb, lb)) for lb in report["label"]] + [len("macro-F1")])
    lines = [f"{'cel':<{width}}  {'uwag':>5}  {'F1 stary':>8}  {'F1 nowy':>8}  {'zmiana':>7}"]
    for row in report.itertuples(index=False):
        lines.append(f"{names.get(row.label, row.label):<{width}}  {row.n:>5}  {row.f1_old:>8.3f}  "
                     f"{row.f1_new:>8.3f}  {row.f1_new - row.f1_old:>+7.3f}")
    a = report.attrs
    lines.append(f"{'macro-F1':<{width}}  {int(report['n'].sum()):>5}  {a['macro_old']:>8.3f}  "
                 f"{a['macro_new']:>8.3f}  {a['macro_new'] - a['macro_old']:>+7.3f}")
    lines.append(f"Uwagi poprawione przez pracowników: {a['corrected']}; trafnie poza próbą: "
                 f"stary model {a['corrected_right_old']}, nowy {a['corrected_right_new']} "
                 f"({a['folds']}-krotna walidacja krzyżowa, grupy: kampanie i powtórzone teksty).")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- the command


def write_dir_atomic(final: Path, writer: Callable[[Path], None]) -> Path:
    """Fill a temporary sibling folder, then rename it into place: a crash never leaves half a model."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        writer(tmp)
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


def _training_jsonl(data: pd.DataFrame) -> str:
    rows = data[["text", "label", "group", "fingerprint", "origin"]]
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows.to_dict(orient="records"))


def _fresh_dir(out_dir: Path, model_dir: Path) -> None:
    if out_dir.resolve() == model_dir.resolve():
        raise UserError("nowy model musi trafić do innego katalogu niż stary (--out)", path=out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UserError("katalog docelowy istnieje i nie jest pusty; podaj nowy katalog", path=out_dir)


def learn(workbook: Path | str, model_dir: Path | str, out_dir: Path | str, now: datetime | None = None
          ) -> LearnResult:
    """Read the workbook's corrections, append them to the old model's log, retrain on the combined labelled data
    and write the new model folder (model, card, `training.jsonl`, `corrections.jsonl`, `learn.json`)."""
    workbook, model_dir, out_dir = Path(workbook), Path(model_dir), Path(out_dir)
    _fresh_dir(out_dir, model_dir)
    old = load_labelled_model(model_dir)
    records = read_workbook(workbook, old.taxonomy, now)
    log = read_corrections(model_dir)
    new = changes(records, effective(log))
    if not new:
        raise UserError(f"arkusz nie zawiera nowych poprawek (kolumny „{H_LABEL_FIX}”, „{H_DECISION}”, "
                        f"„{H_ANSWER}” są puste lub takie jak w modelu)", path=workbook)
    log = [*log, *new]
    data = combine(old.data, effective(log))
    report = compare_out_of_fold(data, old.taxonomy.ids, old.fit, old.predict)
    model = old.fit(data["text"].tolist(), data["label"].tolist())
    counts = {
        "labels": sum(r.label is not None for r in new), "decisions": sum(r.decision is not None for r in new),
        "answers": sum(r.answer is not None for r in new), "data": len(data),
        "corrected": int((data["origin"] == ORIGIN_CORRECTION).sum()),
    }
    summary = {
        "workbook": workbook.name, "workbook_sha256": new[0].workbook_sha256, "date": new[0].date,
        "base_model": str(model_dir), "counts": counts,
        "f1_out_of_fold": {row.label: {"n": row.n, "old": round(row.f1_old, 4), "new": round(row.f1_new, 4)}
                           for row in report.itertuples(index=False)},
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in report.attrs.items()},
    }

    def write(tmp: Path) -> None:
        old.save(model, data, tmp)
        (tmp / TRAINING_FILE).write_text(_training_jsonl(data), encoding="utf-8")
        (tmp / CORRECTIONS_FILE).write_text(corrections_jsonl(log), encoding="utf-8")
        (tmp / LEARN_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    write_dir_atomic(out_dir, write)
    return LearnResult(out_dir, report, label_names(old.taxonomy), counts)
