"""One batch job: files in, output folder out. The only place that does I/O around the pure stages."""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline import __version__
from pipeline.classifier import CommentClassifier
from pipeline.classify import resolve_classifier
from pipeline.cluster import cluster_table
from pipeline.cluster_memo import remembering
from pipeline.cluster_keys import KEY_COLUMNS
from pipeline.columns import OUTPUT_COLUMNS
from pipeline.config import Config
from pipeline.consultations import check_consultations, consultation_by_file, given_names
from pipeline.errors import UserError
from pipeline.export.atomic import check_out_dir
from pipeline.export.appending import write_parts
from pipeline.export.big_workbook import FULL_TABLE, is_big, write_full_table
from pipeline.export.staging import SPILL_FOLDER, new_staging, publish, remove_leftovers
from pipeline.export.manifest import build_manifest, write_manifest
from pipeline.export.research import ResearchContext, date_column, first_date_column, write_research
from pipeline.export.tables import write_csv
from pipeline.edits import read_edits
from pipeline.export.spilled_clusters import spilled_cluster_table
from pipeline.export.workbook_rows import WorkbookRows
from pipeline.export.xlsx import H_PAPER, comments_view, write_workbook
from pipeline.hashing import file_sha256
from pipeline.ingest import ingest
from pipeline.ingest_parts import PartReading, part_reading
from pipeline.models import read_card
from pipeline.pii_columns import detect_pii_columns
from pipeline.engines import engine_for
from pipeline.engines.background import in_background
from pipeline.engines.spill import Spilled, spill, spillable, spills
from pipeline.lock import hold_run
from pipeline.process import STAGES
from pipeline.stage import Stage
from pipeline.readers import NotStrict, RawTable
from pipeline.resources import DEFAULT_MODEL, resource_path
from pipeline.runlog import RunLog, now
from pipeline.sheets import H_CHANGE, H_NEW, SHEET_CONFLICTS, SHEET_HISTORY
from pipeline.state.incremental import incremental
from pipeline.state.schema import open_state
from pipeline.state.staff import conflicts, harvest, workbooks
from pipeline.state.store import cluster_memo, history, next_run_id, record_run, save_night
from pipeline.themes import CONTENT_COLUMN, theme_table
from pipeline.triage import TriageRules, load_rules

if TYPE_CHECKING:
    from pipeline.engines.dask_reading import ReadFiles

WORKBOOK, MANIFEST = "triage.xlsx", "run.json"
OUTPUTS = ("comments.csv", "clusters.csv", "themes.csv", "research.csv", "research.parquet", WORKBOOK, MANIFEST)


class JobResult:
    """What a run wrote: `out_dir`, its `manifest` (run.json) and `comments`, the comments table (of a big spilled
    run, read from its comments.parquet when first asked for: the run never held the whole table)."""

    def __init__(self, comments: pd.DataFrame | Path, manifest: dict[str, Any], out_dir: Path):
        self._comments, self.manifest, self.out_dir = comments, manifest, out_dir

    @property
    def comments(self) -> pd.DataFrame:
        if isinstance(self._comments, Path):
            self._comments = pd.read_parquet(self._comments)
        return self._comments

    @property
    def workbook(self) -> Path:
        return self.out_dir / WORKBOOK


# Columns a stage leaves for a later one, which no output holds: the themes stage's input, clustering's keys (a
# spilled part keeps them from the stage that made them).
INTERNAL_COLUMNS = frozenset((CONTENT_COLUMN, *KEY_COLUMNS))


def ordered(df: pd.DataFrame) -> pd.DataFrame:
    """Output columns in contract order, then pass-through input columns in input order (not `INTERNAL_COLUMNS`)."""
    known = [c for c in OUTPUT_COLUMNS if c in df.columns]
    return df[known + [c for c in df.columns if c not in OUTPUT_COLUMNS and c not in INTERNAL_COLUMNS]]


def pii_columns(columns: Sequence[str], headers: Sequence[Sequence[str]], tables: Sequence[RawTable],
                cfg: Config) -> list[str]:
    """Pass-through input columns (of the comments table's `columns`) holding personal data, found by header or
    named with `--pii-col` as in the input files (`headers`, one list per read table). A text column may be named
    too: text never reaches research.* anyway."""
    inputs = {str(c) for names in headers for c in names}
    unknown = [c for c in cfg.ingest.pii_cols if c not in inputs]
    if unknown:
        raise UserError(f"nie ma takiej kolumny (podanej w --pii-col) w {', '.join(t.path.name for t in tables)}",
                        column=unknown[0])
    passthrough = [c for c in columns if c not in OUTPUT_COLUMNS]
    renamed = {c[3:]: c for c in passthrough if c.startswith("in_")}
    explicit = [c if c in passthrough else renamed.get(c, c) for c in cfg.ingest.pii_cols]
    return detect_pii_columns(passthrough, [c for c in explicit if c in passthrough])


def model_summary(cfg: Config) -> dict[str, Any]:
    """What run.json records about the classifier: which model (by its card's hash) and its cross-validated quality."""
    model_dir = cfg.classify.model
    if model_dir is None and cfg.classify.taxonomy is not None:
        return {"kind": "zero-shot", "taxonomy": str(cfg.classify.taxonomy)}
    if isinstance(model_dir, CommentClassifier):  # fitted in this process: no folder, no card
        return {"kind": "trained", "path": cfg.to_dict()["classify"]["model"], "sha256": None, "trained": None,
                "taxonomy": model_dir.taxonomy.name, "cv_accuracy": None, "cv_macro_f1": None}
    model_dir = model_dir or resource_path(*DEFAULT_MODEL)
    card = read_card(model_dir)
    cv = card.get("cross_validation", {})
    return {"kind": "trained", "path": str(model_dir), "sha256": card["model_sha256"], "trained": card.get("date"),
            "taxonomy": card.get("taxonomy", {}).get("name"), "cv_accuracy": cv.get("accuracy"),
            "cv_macro_f1": cv.get("macro_f1")}


def run_stages(df: pd.DataFrame, cfg: Config, stages: Sequence[Stage], timings: dict[str, float],
               log: RunLog | None, research: ResearchContext | None = None) -> pd.DataFrame:
    df, took = engine_for(cfg, research).process(df, cfg, stages, on_stage=log.stage if log is not None else None)
    timings.update(took)
    return df


def run_job(inputs: Sequence[str | Path], cfg: Config, log: RunLog | None = None) -> JobResult:
    """Files in, output folder out, with the folder's lock held (LockHeld when another run has it): every file is
    written to a staging folder and swapped in as one set. With `cfg.state.path`, a nightly run: see `nightly`."""
    out = check_out_dir(Path(cfg.export.out_dir))
    check_rules_labels(cfg)
    check_consultations(inputs, cfg)
    with hold_run(out, cfg.state.path) as locks:
        if log is not None and any(lock.stale for lock in locks):
            log.event("stale_lock", holder=[lock.stale for lock in locks if lock.stale])
        staging = new_staging(out)
        try:
            if cfg.state.path is None:
                return _write_run(_batch(inputs, cfg, log, staging), cfg, out, staging, log)
            return nightly(inputs, cfg, out, staging, log)
        except BaseException:
            remove_leftovers(out)  # a failed run leaves the folder as it found it
            raise


@dataclass
class Batch:
    df: pd.DataFrame
    tables: list[RawTable]
    personal: list[str]
    timings: dict[str, float]
    inputs: tuple[str | Path, ...] = ()  # as given (files and folders): the consultation of each file
    # A big plain run: the rows are in part files until the export (`df` is then empty), `research` says what the
    # parts' research rows need of the whole batch.
    spilled: Spilled | None = None
    research: ResearchContext | None = None


def _ingest(inputs: Sequence[str | Path], cfg: Config, log: RunLog | None) -> Batch:
    start = time.perf_counter()
    df, tables = ingest(inputs, cfg.ingest)
    personal = pii_columns(df.columns, [t.frame.columns for t in tables], tables, cfg)
    batch = Batch(df, tables, personal, {"ingest": round(time.perf_counter() - start, 3)}, tuple(inputs))
    for table in tables:  # its cells are the comments now; what is left to tell of a file is its rows' count
        table.frame = table.frame.iloc[:, :0]
    if log is not None:
        log.stage("ingest", len(df), batch.timings["ingest"])
    return batch


def _batch(inputs: Sequence[str | Path], cfg: Config, log: RunLog | None, staging: Path) -> Batch:
    if cfg.engine.name == "dask":
        return _read_on_dask(inputs, cfg, log)
    reading = part_reading(inputs, cfg.ingest, cfg.engine.spill_rows, staging / SPILL_FOLDER) if spillable(cfg) \
        else None
    if reading is not None:
        with contextlib.suppress(NotStrict):
            return _spilled_from(reading, inputs, cfg, log, staging)
        reading.discard()
    batch = _ingest(inputs, cfg, log)
    if not spills(cfg, len(batch.df)):
        batch.df = ordered(run_stages(batch.df, cfg, STAGES, batch.timings, log, research_context(batch, cfg)))
        return batch
    # Whether a column holds submission dates is the input's to say, for the whole batch, before it goes to parts.
    batch.research = replace(research_context(batch, cfg), date_col=date_column(batch.df, batch.personal) or "")
    source, batch.df = [batch.df], pd.DataFrame(columns=batch.df.columns)  # no view that would keep its buffers
    batch.spilled, took = _spill(source, cfg, log, staging)
    batch.timings.update(took)
    return batch


def _spill(source: list[pd.DataFrame] | PartReading, cfg: Config, log: RunLog | None, staging: Path
           ) -> tuple[Spilled, dict[str, float]]:
    # clusters.csv is built on a worker from the part files while themes are found here.
    return spill(source, cfg, STAGES, staging / SPILL_FOLDER, on_stage=log.stage if log is not None else None,
                 ahead=spilled_cluster_table)


def _spilled_from(reading: PartReading, inputs: Sequence[str | Path], cfg: Config, log: RunLog | None,
                  staging: Path) -> Batch:
    """A big CSV export read into part files a part at a time, the whole input never in memory, each part's first
    map begun as soon as it is written: the batch, its rows in part files. NotStrict where the file must be
    ingested whole."""
    personal: list[str] = []

    def first(reading: PartReading) -> None:  # a --pii-col the file lacks stops the run before any work
        ingested = reading.ingested
        assert ingested is not None
        personal.extend(pii_columns(ingested.parts.columns, [ingested.header], [ingested.table], cfg))

    def read(reading: PartReading) -> None:
        if log is not None:
            log.stage("ingest", reading.parts.bounds[-1], round(reading.seconds, 3))

    reading.on_first, reading.on_read = first, read
    spilled, took = _spill(reading, cfg, log, staging)
    ingested = reading.ingested
    assert ingested is not None
    parts = ingested.parts
    batch = Batch(pd.DataFrame(columns=parts.columns), [ingested.table], personal,
                  {"ingest": round(reading.seconds, 3), **took}, tuple(inputs), spilled)
    cells = [{c: found for c, found in part.items() if c not in personal} for part in ingested.date_cells]
    # Whether a column holds submission dates is the input's to say, for the whole batch.
    batch.research = replace(research_context(batch, cfg), date_col=first_date_column(*cells) or "")
    return batch


def _read_on_dask(inputs: Sequence[str | Path], cfg: Config, log: RunLog | None) -> Batch:
    """A plain run on Dask: the workers read the inputs and run the stages; the client learns of each file what
    run.json and the personal-data columns need, and holds no row before the final table; of a batch the local
    engine would spill, never the whole table: the workers write its part files, exported as a spilled run's."""
    batch = Batch(pd.DataFrame(), [], [], {}, tuple(inputs))

    def read(files: ReadFiles, seconds: float) -> ResearchContext:
        batch.tables = files.tables
        batch.personal = pii_columns(files.columns, files.headers, files.tables, cfg)
        if log is not None:
            log.stage("ingest", files.rows, seconds)
        return research_context(batch, cfg)

    engine = engine_for(cfg)
    df, batch.timings = engine.process_inputs(inputs, cfg, STAGES, on_read=read,
                                              on_stage=log.stage if log is not None else None)
    if isinstance(df, Spilled):  # a big batch: its rows stay in the part files the workers wrote, as when spilled
        batch.spilled, batch.research = df, engine.research
    else:
        batch.df = ordered(df)
    return batch


def research_context(batch: Batch, cfg: Config) -> ResearchContext:
    """What research.* says beyond the comments table: each file's consultation, the taxonomy, the input columns."""
    taxonomy = resolve_classifier(cfg).taxonomy.name
    consultation, by_file = consultation_by_file(batch.inputs, batch.tables, cfg, taxonomy)
    return ResearchContext(consultation, taxonomy, cfg.ingest.submitter_col, batch.personal, by_file)


def _write_run(batch: Batch, cfg: Config, out: Path, staging: Path, log: RunLog | None,
               manifest_extra: dict[str, Any] | None = None, sheets: Sequence[tuple[str, pd.DataFrame]] = (),
               shown: pd.DataFrame | None = None) -> JobResult:
    """Write every output to `staging`, then swap them in; `shown` (default: the batch) is what comments.csv and
    the workbook list, `sheets` extra workbook sheets."""
    started = time.perf_counter()
    timings = batch.timings
    research = batch.research or research_context(batch, cfg)
    spilled = batch.spilled
    big = spilled is not None and is_big(len(spilled), cfg)
    # The files of every row are written part by part on the second core while this one builds the rest.
    per_row_files = (in_background(cfg, "comments.csv i research.*", _write_parts_of, spilled, staging, research, big)
                     if spilled is not None else contextlib.nullcontext())
    with per_row_files:
        if spilled is not None:  # the workbook's rows: every row's short columns, the shown rows' texts
            rows = WorkbookRows()
            rows.take(map(ordered, spilled.parts()))
            # The templates' texts only where clusters.csv is still to be built from this table.
            batch.df = rows.table(map(ordered, spilled.parts()), cfg, templates=spilled.ahead is None)
            full_table = [FULL_TABLE] if big else []
        df = batch.df
        shown = df if shown is None else shown
        taxonomy = resolve_classifier(cfg).taxonomy
        # A spilled run's clusters.csv was built on a worker from the part files (`spill(..., ahead=...)`).
        clusters = spilled.ahead if spilled is not None and spilled.ahead is not None else cluster_table(df, cfg)
        if spilled is None:
            write_csv(shown, staging / "comments.csv")
            full_table = write_full_table(shown, staging, cfg)
            write_research(shown, staging, research)
        write_csv(clusters, staging / "clusters.csv")
        themes = theme_table(df, cfg)
        write_csv(themes, staging / "themes.csv")
        # An engine may have written partitioned outputs into the staging folder (the Dask engine: research/); the
        # part files are read until the block ends.
        outputs = [*OUTPUTS[:-1], *full_table, *(p.name for p in sorted(staging.iterdir())
                                                 if p.is_dir() and p.name != SPILL_FOLDER), OUTPUTS[-1]]
        manifest = build_manifest(batch.tables, df, timings, cfg, outputs=outputs, pii_columns=batch.personal,
                                  model=model_summary(cfg), clusters=len(clusters),
                                  encoder=df.attrs.get("encoder") or _no_classification(cfg))
        for key, value in (manifest_extra or {}).items():
            if key == "counts":
                manifest["counts"].update(value)
            else:
                manifest[key] = value
        manifest["themes"] = len(themes)
        given = given_names(cfg)
        manifest["consultation"] = list(given) if len(given) > 1 else research.consultation
        # With a state, staff entries are in the state and come back in the new workbook: nothing to keep aside.
        kept = None if cfg.state.path is not None else edited_workbook_destination(out)
        manifest["kept_workbook"] = kept.name if kept else None
        write_workbook(shown, staging / WORKBOOK, manifest, taxonomy=taxonomy, clusters=clusters, cfg=cfg,
                       themes=themes, sheets=sheets)
        manifest["workbook_sha256"] = file_sha256(staging / WORKBOOK)
    if spilled is not None:
        shutil.rmtree(staging / SPILL_FOLDER)
    timings["export"] = round(time.perf_counter() - started, 3)
    timings["total"] = round(sum(v for k, v in timings.items() if k != "total"), 3)
    if log is not None:
        log.stage("export", len(shown), timings["export"])
    write_manifest(manifest, staging / MANIFEST)
    publish(staging, out, outputs, renames=[(out / WORKBOOK, kept)] if kept else [])
    # A big spilled run held only the workbook's rows' texts: the whole table is in comments.parquet.
    return JobResult(out / full_table[0] if spilled is not None and full_table else shown, manifest, out)


def _write_parts_of(spilled: Spilled, staging: Path, research: ResearchContext, full_table: bool) -> None:
    """comments.csv, research.* and (with `full_table`) comments.parquet of a spilled run's parts: no model or
    configuration travels to the process that writes them."""
    write_parts(map(ordered, spilled.parts()), staging, research, full_table)


def _no_classification(cfg: Config) -> dict[str, Any]:
    """The encoder report of a run that classified nothing (a night with every comment reused from the state)."""
    return {"mode": cfg.classify.encoder, "name": None, "used": False, "semantic": 0, "embedded_new": 0,
            "budget": None, "note": "żadnej uwagi nie klasyfikowano w tym przebiegu", "semantic_ids": []}


def nightly(inputs: Sequence[str | Path], cfg: Config, out: Path, staging: Path, log: RunLog | None) -> JobResult:
    """A run with memory: staff entries of the workbooks in `out` go into the state first; only new and changed
    comments go through the costly stages; the state records the night once its files are in place."""
    assert cfg.state.path is not None
    conn = open_state(cfg.state.path)
    started = now()
    run_id = next_run_id(conn)
    try:
        batch = _ingest(inputs, cfg, log)
        harvest(conn, workbooks(out, WORKBOOK), our_headers(batch.df, cfg), run_id)
        # Clustering (a stage) and clusters.csv (the export) take what they derived from unchanged clusters last night.
        with remembering(cluster_memo(conn)) as memo:
            night = incremental(batch, cfg, conn, model_summary(cfg), run_stages, log, ordered, run_id)
            if cfg.engine.name == "dask":
                from pipeline.engines.dask import research_parts

                research_parts(night.shown, cfg, staging, research_context(batch, cfg))
            result = _write_run(batch, cfg, out, staging, log, {"counts": night.counts, "themes_fit": night.themes
                                                                and night.themes.report},
                                sheets=[(SHEET_HISTORY, history(conn, night.run_record(started, out, batch, run_id))),
                                        (SHEET_CONFLICTS, conflicts(conn))], shown=night.shown)
        run = night.run_record(started, out, batch, run_id)
        save_night(conn, run_id, batch.df, night.outputs, night.change, night.withdrawn, night.config_key, run,
                   (result.manifest["workbook_sha256"], WORKBOOK), night.themes and night.themes.fit,
                   night.triage_keys, night.triage_found, night.cluster_keys, night.cluster_found, memo.used)
        if log is not None:
            log.event("run", run_id=run_id, exit_status=0, counts=night.counts, total_s=batch.timings["total"])
        return result
    except BaseException as exc:
        status = 2 if isinstance(exc, UserError) else 1
        if not isinstance(exc, (KeyboardInterrupt, SystemExit)):
            record_run(conn, run_id, {"started": started, "finished": now(), "exit_status": status,
                                      "version": __version__, "out_dir": str(out), "message": str(exc)})
        if log is not None:
            log.event("run", run_id=run_id, exit_status=status, message=str(exc))
        raise
    finally:
        conn.close()


def our_headers(df: pd.DataFrame, cfg: Config) -> set[str]:
    """Every header uwagi itself writes in "Uwagi" for this batch: any other one is a column staff added."""
    return {*comments_view(df.iloc[:0], None, {}, cfg).columns, H_PAPER, H_NEW, H_CHANGE}


def _has_staff_entries(workbook: Path) -> bool:
    """Whether any staff column is filled; a file that cannot be read as a uwagi workbook counts as filled."""
    try:
        return bool(read_edits(workbook).rows)
    except UserError:
        return True


def check_rules_labels(cfg: Config) -> None:
    """A --rules file names goals by id; a mistyped one would silently switch its rule off."""
    if cfg.triage.rules is None:
        return
    ids = resolve_classifier(cfg).taxonomy.ids
    unknown = [label for label in load_rules(cfg.triage.rules).off_topic_labels if label not in ids]
    if unknown:
        raise UserError(f"off_topic.labels: nieznany cel {unknown[0]!r} (cele taksonomii: {', '.join(ids)})",
                        path=None if isinstance(cfg.triage.rules, TriageRules) else cfg.triage.rules)


def edited_workbook_destination(out: Path) -> Path | None:
    """Staff work in triage.xlsx; one they changed since uwagi wrote it (its SHA-256 is no longer the one run.json
    recorded) and that holds entries in the staff columns is renamed (when the new files are swapped in), never
    overwritten, so a rerun cannot wipe a day's corrections. Returns the name it gets."""
    workbook = out / WORKBOOK
    if not workbook.exists():
        return None
    try:
        recorded = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("workbook_sha256")
    except (OSError, ValueError, AttributeError):
        recorded = None
    if recorded == file_sha256(workbook) or not _has_staff_entries(workbook):
        return None
    stamp = datetime.fromtimestamp(workbook.stat().st_mtime).strftime("%Y%m%d-%H%M%S")
    kept, n = out / f"triage.edytowany-{stamp}.xlsx", 1
    while kept.exists():
        n += 1
        kept = out / f"triage.edytowany-{stamp}-{n}.xlsx"
    return kept
