"""The one configuration object every stage reads.

Sections mirror the stages; the CLI builds a `Config` from flags and nothing else reads flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # heavy to import, and only named here
    from pipeline.classifier import CommentClassifier
    from pipeline.triage import TriageRules


@dataclass(frozen=True)
class IngestConfig:
    text_cols: tuple[str, ...] = ()
    id_col: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    pii_cols: tuple[str, ...] = ()
    submitter_col: str | None = None
    # A letter with numbered points ("Uwaga nr 1", "1.", "Ad. § 5") becomes one comment per point.
    split_points: bool = False
    # A skipped file (not a supported kind, or needing OCR that is not installed) stops the run instead.
    strict: bool = False
    # A workbook unpacking to more than this is refused (a decompression bomb); a real export is a few MB.
    max_unpacked_bytes: int = 1 << 30


@dataclass(frozen=True)
class NlpConfig:
    # None: a trained model's own lemmatizer (another one is refused), simplemma for zero-shot.
    lemmatizer: str | None = None
    redact: bool = True


@dataclass(frozen=True)
class ClassifyConfig:
    # A model folder, or a fitted classifier already in memory.
    model: Path | CommentClassifier | None = None
    taxonomy: Path | None = None
    # Labels staff set in a workbook (stored in the model folder by `uwagi learn`) override the classifier.
    use_corrections: bool = True
    # The sentence encoder (`pipeline.encoder`): "off" lexical only; "on" the cascade's comments all get the semantic
    # model, and a missing encoder is an error; "auto" at most `encoder_budget` comments not yet in the vector cache
    # are embedded, and without the encoder the run goes on lexically.
    encoder: str = "auto"
    encoder_budget: int = 500


@dataclass(frozen=True)
class ClusterConfig:
    enabled: bool = True
    # Comments of at most this many words join only exact duplicates (after folding).
    min_words: int = 5
    # MinHash/LSH over character shingles of the folded text: bins (a power of two), rows per band, shingle size.
    num_bins: int = 128
    rows_per_band: int = 4
    shingle: int = 5
    seed: int = 0
    # Verification on shingles: the shared shingles must cover this share of the shorter comment ...
    min_containment: float = 0.7
    # ... and this share of the longer one (one shared stock sentence is not a campaign).
    min_coverage: float = 0.25
    # Comments shorter than `strict_words` words need `strict_containment` (one changed word matters there).
    strict_words: int = 20
    strict_containment: float = 0.9
    # Pairs whose MinHash estimate lies within this distance of a threshold are checked exactly.
    margin: float = 0.12
    # A sentence counts as template text when at least this share of its word bigrams is found there.
    covered_share: float = 0.5


@dataclass(frozen=True)
class TriageConfig:
    # A TOML file overlaying the default rules, or rules already loaded (`pipeline.triage.TriageRules`).
    rules: Path | TriageRules | None = None


@dataclass(frozen=True)
class ThemesConfig:
    enabled: bool = True
    seed: int = 0
    # Runs with seeds seed, seed+1, …: the first gives the themes, all of them the stability score.
    runs: int = 3
    max_themes: int = 8
    # A group is split only when it has at least twice this many comments, and into themes of this many on average.
    min_size: int = 4
    # A split whose silhouette is below this is no better than one theme.
    min_silhouette: float = 0.05
    # Comments classified with less confidence join the pool of those no goal fits: a matter the taxonomy does not
    # name is classified with little confidence, and gathers there (bench/eval_themes.py; 0.5 left more of it
    # scattered over the goals).
    low_confidence: float = 0.7
    # A campaign's representative weighs size**campaign_weight comments in k-means: a campaign of 25 letters is a
    # matter of its own, not one comment among a goal's hundred (0: it counts once; 1: its full size outweighed
    # whole themes in bench/eval_themes.py).
    campaign_weight: float = 0.5
    phrases: int = 8
    # Past this many texts in a group (unique comments and campaign representatives), the LSA space and k-means are
    # fitted on this many and the others join the nearest theme: k-means and the silhouette grow with the square of
    # a group (the stage took 174 s of a 100k run, docs/benchmarks.md), while the 2-8 themes of a group show in a
    # few thousand texts (bench/eval_themes.py --fit-sample). Both quality sets are below it, so fit everything.
    fit_sample: int = 3000


@dataclass(frozen=True)
class ExportConfig:
    out_dir: Path = Path("out")
    # The staff workbook shows the original (unredacted) text unless switched off.
    original_text_in_workbook: bool = True
    # The `consultation` column of research.*: one name for every input, or a name per input in input order
    # (`pipeline.consultations`); None: the taxonomy's name.
    consultation: str | tuple[str, ...] | None = None
    # Above this many comments the workbook lists only this many on "Uwagi" (the highest priorities) and the full
    # table is also written as comments.parquet (pipeline/export/big_workbook.py).
    workbook_max_comments: int = 50_000


@dataclass(frozen=True)
class StateConfig:
    # The nightly state (SQLite): with it, only new and changed comments go through the costly stages.
    path: Path | None = None
    # Themes are found afresh once more than this share of the grouped comments joined the nearest theme (new or
    # changed since the last fit) instead of being part of the fit (pipeline/state/theme_fit.py).
    theme_refit_share: float = 0.2


@dataclass(frozen=True)
class EngineConfig:
    # `local` (this process) or `dask` (pipeline/engines/dask.py; needs the `dask` extra).
    name: str = "local"
    # Dask: the scheduler's address (`tcp://host:8786`); None starts a LocalCluster on this machine.
    scheduler: str | None = None
    # Dask: rows per partition; each input file gives one partition or more.
    partition_rows: int = 20_000
    # Dask: worker processes of the LocalCluster (None: one per core).
    workers: int | None = None
    # Local: worker processes for the row-wise stages (None: one per core, as `uwagi run` without `--jobs`). One by
    # default from Python: the workers' fork server imports the calling script (`engines/processes.py`), and a
    # script without `if __name__ == "__main__":` would then run itself again there.
    jobs: int | None = 1
    # Local: rows per chunk handed to a worker.
    chunk_rows: int = 1_000
    # Local: a table of fewer rows runs in this process whatever `jobs` says: a worker first loads the model and the
    # Polish dictionaries, which costs about as much as this many comments' row-wise stages.
    pool_min_rows: int = 5_000
    # Local, a plain run (no nightly state): a batch of more rows is spilled, its rows kept in part files of at most
    # this many rows in the staging folder from the row-wise stages to the outputs, which are written part by part
    # (`pipeline/engines/spill.py`); memory holds only what clustering and themes read, and the workbook's rows.
    spill_rows: int = 10_000
    # Set by the local engine in its worker processes: classify embeds no text missing from the vector cache but
    # lists the rows it would (`classify.DEFERRED`), so that one process spends the run's budget over every chunk.
    defer_new_vectors: bool = False


@dataclass(frozen=True)
class Config:
    ingest: IngestConfig = field(default_factory=IngestConfig)
    nlp: NlpConfig = field(default_factory=NlpConfig)
    classify: ClassifyConfig = field(default_factory=ClassifyConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    triage: TriageConfig = field(default_factory=TriageConfig)
    themes: ThemesConfig = field(default_factory=ThemesConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    state: StateConfig = field(default_factory=StateConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)

    def with_(self, **sections: Any) -> "Config":
        """Copy with whole sections replaced, e.g. cfg.with_(nlp=NlpConfig(redact=False))."""
        return replace(self, **sections)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for run.json (paths as strings, tuples as lists, an object in memory as its class)."""

        def plain(v: Any) -> Any:
            if is_dataclass(v):
                return {f.name: plain(getattr(v, f.name)) for f in fields(v)}
            if isinstance(v, Path):
                return str(v)
            if isinstance(v, (tuple, list)):
                return [plain(x) for x in v]
            if isinstance(v, dict):
                return {k: plain(x) for k, x in v.items()}
            if v is None or isinstance(v, (str, int, float, bool)):
                return v
            return f"<w pamięci: {type(v).__name__}>"

        return plain(self)
