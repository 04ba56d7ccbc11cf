"""uwagi: triage Polish public-consultation comments into a workbook staff can work in.

This module is the declared Python API; `docs/api.md` documents it with examples the tests run. Everything else
under `pipeline` is internal and may move between versions.

Several stages share their name with the module that defines them (`pipeline.classify`, `pipeline.cluster`, ...):
here the name is the stage function. Import a module's other names with `from pipeline.classify import ...`.
"""

__version__ = "0.1.0"

from pipeline.classifier import CommentClassifier, load_classifier  # noqa: E402
from pipeline.classify import classify, resolve_classifier  # noqa: E402
from pipeline.clean import clean  # noqa: E402
from pipeline.cluster import cluster, cluster_table  # noqa: E402
from pipeline.cluster_keys import cluster_keys  # noqa: E402
from pipeline.columns import OUTPUT_COLUMNS  # noqa: E402
from pipeline.config import (  # noqa: E402
    ClassifyConfig, ClusterConfig, Config, EngineConfig, ExportConfig, IngestConfig, NlpConfig, StateConfig,
    TriageConfig,
)
from pipeline.corrections import corrections  # noqa: E402
from pipeline.errors import UserError  # noqa: E402
from pipeline.ingest import ingest  # noqa: E402
from pipeline.job import JobResult, run_job  # noqa: E402
from pipeline.labelled import LabelledData, read_labelled  # noqa: E402
from pipeline.models import load_model, save_model  # noqa: E402
from pipeline.process import STAGES, check_chain, process  # noqa: E402
from pipeline.redact import redact, redact_text, register_detector  # noqa: E402
from pipeline.reports import classification_report, format_report  # noqa: E402
from pipeline.stage import MissingColumnsError, StageInfo, stage  # noqa: E402
from pipeline.taxonomy import Taxonomy, load_taxonomy  # noqa: E402
from pipeline.theme_content import theme_content  # noqa: E402
from pipeline.themes import themes  # noqa: E402
from pipeline.training import TrainedModel, cross_validate, train  # noqa: E402
from pipeline.triage import TriageRules, load_rules, triage  # noqa: E402
from pipeline.zero_shot import ZeroShotClassifier  # noqa: E402

__all__ = [
    "__version__",
    # configuration and the comments table
    "Config", "IngestConfig", "NlpConfig", "ClassifyConfig", "ClusterConfig", "TriageConfig", "ExportConfig",
    "StateConfig", "EngineConfig", "OUTPUT_COLUMNS",
    # reading inputs into the comments table
    "ingest",
    # the stages, declaring what they read and write, and running them in order
    "clean", "redact", "classify", "corrections", "cluster_keys", "cluster", "triage", "theme_content", "themes",
    "STAGES", "process", "check_chain",
    "stage", "StageInfo", "MissingColumnsError",
    # resources a stage accepts loaded as well as by path
    "Taxonomy", "load_taxonomy", "TriageRules", "load_rules", "resolve_classifier",
    # classifiers: train, evaluate, save, load
    "CommentClassifier", "ZeroShotClassifier", "load_classifier", "train", "cross_validate", "TrainedModel",
    "read_labelled", "LabelledData", "classification_report", "format_report", "save_model", "load_model",
    # redaction as a function, and its detector registry
    "redact_text", "register_detector",
    # files in, output folder out
    "run_job", "JobResult", "cluster_table",
    "UserError",
]
