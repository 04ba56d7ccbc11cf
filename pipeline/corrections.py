"""Human corrections: labels, decisions and answers staff entered in triage.xlsx, applied on the next run.

A correction is keyed by the comment's content fingerprint (SHA-1 of the folded `text_clean`), not by its id or
row, so it follows the comment into a re-sorted workbook, a re-export with other ids or the next round.
`uwagi learn` appends corrections to `corrections.jsonl` in the new model folder (a log: one record per change,
each with its provenance); the effective correction of a comment is the latest non-empty value of each field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline.clean import fold, fold_comment
from pipeline.config import Config
from pipeline.errors import UserError
from pipeline.stage import stage
from pipeline.vocabulary import DECISIONS

CORRECTIONS_FILE = "corrections.jsonl"


def fingerprint(text_clean: str) -> str:
    """Content key of a comment: the same text up to case, diacritics and spacing has the same fingerprint."""
    return hashlib.sha1(fold_comment(text_clean).encode("utf-8")).hexdigest()


def resolve_decision(value: str) -> str | None:
    """The decision named by `value`, ignoring case and Polish diacritics; None when it is none of DECISIONS."""
    key = fold(value)
    return next((d for d in DECISIONS if fold(d) == key), None) if key else None


@dataclass(frozen=True)
class Correction:
    fingerprint: str
    comment_id: str
    text: str  # the redacted `text_clean`: what the classifier trains on; never the original text
    label: str | None = None
    decision: str | None = None
    answer: str | None = None
    # Provenance: which workbook (file name and SHA-256), sheet and row (as the spreadsheet shows it), and when.
    workbook: str = ""
    workbook_sha256: str = ""
    sheet: str = ""
    row: int = 0
    date: str = ""
    # A campaign member's copy of the correction staff gave another member: that comment's id (else "").
    source: str = ""

    @property
    def where(self) -> str:
        return f"{self.workbook}, arkusz {self.sheet}, wiersz {self.row}, {self.date[:10]}"


_FIELDS = {f.name for f in fields(Correction)}
_VALUES = ("label", "decision", "answer")


def effective(records: Iterable[Correction]) -> dict[str, Correction]:
    """Per fingerprint, the latest stated label, decision and answer (records in log order); None states nothing,
    "" (a decision or answer staff cleared) states that there is none."""
    out: dict[str, Correction] = {}
    for rec in records:
        old = out.get(rec.fingerprint)
        if old is None:
            out[rec.fingerprint] = rec
            continue
        kept = {k: getattr(old, k) for k in _VALUES if getattr(rec, k) is None}
        out[rec.fingerprint] = replace(rec, **kept)
    return out


def changes(records: Iterable[Correction], current: Mapping[str, Correction]) -> list[Correction]:
    """The records that change something: a value re-read unchanged from a prefilled workbook is not news."""
    out = []
    for rec in records:
        old = current.get(rec.fingerprint)
        if old is None or any(getattr(rec, k) is not None and getattr(rec, k) != getattr(old, k) for k in _VALUES):
            out.append(rec)
    return out


def read_corrections(model_dir: Path | str) -> list[Correction]:
    """The log in `model_dir`, oldest first; an empty list when the folder has none."""
    path = Path(model_dir) / CORRECTIONS_FILE
    if not path.exists():
        return []
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            records.append(Correction(**{k: v for k, v in data.items() if k in _FIELDS}))
        except (json.JSONDecodeError, TypeError) as exc:
            raise UserError(f"uszkodzony zapis poprawek ({exc})", path=path, row=n) from None
    return records


def corrections_jsonl(records: Iterable[Correction]) -> str:
    return "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in records)


def apply_corrections(
    df: pd.DataFrame, corrections: Mapping[str, Correction], override_labels: bool = True,
    known: Sequence[str | None] | None = None,
) -> pd.DataFrame:
    """Add `fingerprint`, `decision`, `answer` and `label_corrected`; with `override_labels`, a comment a person
    labelled gets that label (confidence 1, not for review, provenance as evidence) whatever the classifier said.
    `known`: per row, its fingerprint where the caller already has it for this `text_clean` (a night's state),
    None where it is computed."""
    out = df.copy(deep=False)  # copy-on-write: the columns set below never reach `df`, and the text is not copied
    # As Python lists: iterating the columns themselves makes a string per cell through Arrow, one at a time.
    texts = out["text_clean"].fillna("").astype(str).tolist()
    known = known if known is not None else [None] * len(out)
    prints = [k or fingerprint(t) for t, k in zip(texts, known)]
    out["fingerprint"] = prints
    # Empty comments all share one fingerprint: a decision on one of them must not spread to the rest.
    found = [corrections.get(k) if t.strip() else None for k, t in zip(prints, texts)]
    out["decision"] = [(c.decision or "") if c else "" for c in found]
    out["answer"] = [(c.answer or "") if c else "" for c in found]
    hit = [bool(override_labels and c is not None and c.label) for c in found]
    out["label_corrected"] = hit
    if not any(hit):
        return out
    for col, default in (("label", ""), ("labels", ""), ("confidence", float("nan")), ("needs_review", False),
                         ("evidence", "")):
        if col not in out.columns:
            out[col] = default
    rows = out.index[hit]
    recs = [c for c, h in zip(found, hit) if h]
    old_primary = out.loc[rows, "label"].fillna("").astype(str).tolist()
    old_labels = out.loc[rows, "labels"].fillna("").astype(str).tolist()
    out["confidence"] = out["confidence"].astype(float)
    out["needs_review"] = out["needs_review"].astype(bool)
    out.loc[rows, "label"] = [c.label for c in recs]
    # The person's label leads; the classifier's other labels stay, its (overruled) primary goes.
    out.loc[rows, "labels"] = [
        "|".join(dict.fromkeys([c.label, *(x for x in ls.split("|") if x and x not in (p, c.label))]))
        for c, p, ls in zip(recs, old_primary, old_labels)
    ]
    out.loc[rows, "confidence"] = 1.0
    out.loc[rows, "needs_review"] = False
    out.loc[rows, "evidence"] = [f"cel wskazany przez pracownika ({c.where})" for c in recs]
    return out


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> dict[str, Correction]:
    return effective(read_corrections(path))


def corrections_for(model_dir: object) -> dict[str, Correction]:
    """The corrections stored in a model folder; none without one (no model, or a model in memory)."""
    if not isinstance(model_dir, (str, Path)) or not (Path(model_dir) / CORRECTIONS_FILE).exists():
        return {}
    path = Path(model_dir)
    return _load(str(path), (path / CORRECTIONS_FILE).stat().st_mtime)


@stage("corrections", requires=("text_clean",),
       assigns=("fingerprint", "decision", "answer", "label_corrected"))
def corrections(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage (after classify, before triage): apply the corrections stored with `cfg.classify.model`.

    Decisions and answers are staff work, not model output, so they are carried even with the override off.
    """
    return apply_corrections(df, corrections_for(cfg.classify.model), cfg.classify.use_corrections)
