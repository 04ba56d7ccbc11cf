"""uwagi learn: read staff corrections back from triage.xlsx (or the nightly state), store them with provenance, retrain, compare.

Reading the workbook is `pipeline.edits`, retraining and the comparison `pipeline.retrain`; this module checks
the order of the steps and writes the new model folder, all at once or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from pipeline.campaign_spread import Spread, spread_over_groups
from pipeline.corrections import CORRECTIONS_FILE, Correction, changes, corrections_jsonl, effective, read_corrections
from pipeline.edits import corrections_from, group_members, read_edits, read_info
from pipeline.errors import UserError
from pipeline.export.atomic import check_out_dir, write_dir_atomic
from pipeline.hashing import file_sha256
from pipeline.models import CARD_FILE, read_card, save_model
from pipeline.retrain import ORIGIN_CORRECTION, BaseModel, load_base_model, retrain
from pipeline.state.corrections import state_corrections
from pipeline.state.schema import read_state
from pipeline.sheets import H_ANSWER, H_DECISION, H_LABEL_FIX, INFO_MODEL, INFO_MODEL_SHA256, label_names

TRAINING_FILE = "training.jsonl"
LEARN_FILE = "learn.json"


@dataclass
class LearnResult:
    out_dir: Path
    report: pd.DataFrame  # old vs new model, per label (see `pipeline.retrain.compare_out_of_fold`)
    names: dict[str, str]  # goal id → name, to show the report
    counts: dict[str, int]
    spreads: list[Spread]  # corrections staff gave one member of a campaign, copied to the others


def _fresh_dir(out_dir: Path, model_dir: Path) -> None:
    if out_dir.resolve() == model_dir.resolve():
        raise UserError("nowy model musi trafić do innego katalogu niż stary (--out)", path=out_dir)
    check_out_dir(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UserError("katalog docelowy istnieje i nie jest pusty; podaj nowy katalog", path=out_dir)


def recorded_model(workbook: Path | str) -> Path | None:
    """The model folder the workbook was made with (its "Informacje" sheet), None when it names none. A folder
    that is gone, or holds another model by now, is a UserError: learning must start from the model staff saw."""
    info = read_info(workbook)
    if not info.get(INFO_MODEL):
        return None
    path = Path(info[INFO_MODEL])
    if not (path / CARD_FILE).is_file():
        raise UserError(f"arkusz powstał z modelem {path}, którego już nie ma; podaj model opcją --model",
                        path=workbook)
    if info.get(INFO_MODEL_SHA256) and read_card(path)["model_sha256"] != info[INFO_MODEL_SHA256]:
        raise UserError(f"model w {path} zmienił się od przygotowania arkusza; podaj model opcją --model",
                        path=workbook)
    return path


def learn(workbook: Path | str, model_dir: Path | str, out_dir: Path | str, now: datetime | None = None
          ) -> LearnResult:
    """Read the workbook's corrections, append them to the old model's log, retrain on the combined labelled data
    and write the new model folder: model.skops, model.json, training.jsonl, corrections.jsonl, learn.json."""
    workbook, model_dir, out_dir = Path(workbook), Path(model_dir), Path(out_dir)
    _fresh_dir(out_dir, model_dir)
    edits = read_edits(workbook)  # a foreign or damaged workbook fails before the model is loaded
    base = load_base_model(model_dir)
    records = corrections_from(edits, base.taxonomy, now)
    spreads = spread_over_groups(records, group_members(edits, base.taxonomy), read_corrections(model_dir))
    return _learn(records, spreads, base, model_dir, out_dir, workbook, "arkusz",
                  {"workbook": workbook.name, "workbook_sha256": edits.sha256})


def learn_from_state(state: Path | str, model_dir: Path | str, out_dir: Path | str) -> LearnResult:
    """As `learn`, with the staff entries the nightly runs kept in the state (`--state`) instead of one workbook:
    each correction keeps the workbook, row and time of its entry."""
    state, model_dir, out_dir = Path(state), Path(model_dir), Path(out_dir)
    _fresh_dir(out_dir, model_dir)
    conn = read_state(state)  # a damaged or foreign state fails before the model is loaded
    try:
        base = load_base_model(model_dir)
        records = state_corrections(conn, base.taxonomy)
    finally:
        conn.close()
    return _learn(records, [], base, model_dir, out_dir, state, "plik stanu",
                  {"state": state.name, "state_sha256": file_sha256(state)})


def _learn(records: list[Correction], spreads: list[Spread], base: BaseModel, model_dir: Path, out_dir: Path,
           source: Path, what: str, learned_from: dict[str, str]) -> LearnResult:
    log = read_corrections(model_dir)
    new = changes(records, effective(log))
    copies = [c for spread in spreads for c in spread.records]
    if not new and not copies:
        raise UserError(f"{what} nie zawiera nowych poprawek (kolumny „{H_LABEL_FIX}”, „{H_DECISION}” i "
                        f"„{H_ANSWER}” są puste albo takie jak w modelu)", path=source)
    log = [*log, *new, *copies]
    result = retrain(base, effective(log))
    counts = {
        "labels": sum(r.label is not None for r in new), "decisions": sum(r.decision is not None for r in new),
        "answers": sum(r.answer is not None for r in new), "campaign_copies": len(copies),
        "data": len(result.data),
        "corrected": int((result.data["origin"] == ORIGIN_CORRECTION).sum()),
    }
    card = result.card
    card["training_data"]["file"] = TRAINING_FILE
    card["learned_from"] = {
        **learned_from, "date": max(r.date for r in [*new, *copies]),
        "base_model": str(model_dir), "base_model_sha256": base.card.get("model_sha256"), "counts": counts,
    }
    report = result.report
    summary = {
        **card["learned_from"],
        "f1_out_of_fold": {row.label: {"n": row.n, "old": round(row.f1_old, 4), "new": round(row.f1_new, 4)}
                           for row in report.itertuples(index=False)},
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in report.attrs.items()},
    }

    def write(tmp: Path) -> None:
        save_model(result.model, card, tmp)
        (tmp / TRAINING_FILE).write_text(result.training_jsonl, encoding="utf-8")
        (tmp / CORRECTIONS_FILE).write_text(corrections_jsonl(log), encoding="utf-8")
        (tmp / LEARN_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    write_dir_atomic(out_dir, write)
    return LearnResult(out_dir, report, label_names(base.taxonomy), counts, spreads)
