from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.quality_data import LODZ_PROPOSALS, SHARED, gdansk_dev_rows, seed_vector_cache

# The same examples on every run: a property test must not turn CI red by chance on an input it never met before.
# `pytest --hypothesis-profile default` explores new examples.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.load_profile("repeatable")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared, or a clean skip where it is absent (it is read-only material, not shipped).

    Only the checks that the shipped copies equal their sources need it; the quality tests read the shipped copies.
    """
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture(scope="session")
def gdansk_dev() -> list[dict]:
    """The 520 labelled Gdańsk dev comments, rebuilt from the shipped training split and demo slice."""
    return gdansk_dev_rows()


@pytest.fixture(scope="session")
def benchmark_export() -> list[str]:
    """The texts of the 20,000 comments `bench/bench_pipeline.py` exports (`write_export`): campaigns, duplicates,
    redaction placeholders, the texts the stages' CPU figures are measured on."""
    from bench.bench_pipeline import export_texts

    return export_texts(20_000)


@pytest.fixture(scope="session")
def lodz_proposals() -> Path:
    """The 968 real Łódź participatory-budget proposals with the city's categories (a CSV)."""
    return LODZ_PROPOSALS


@pytest.fixture(scope="session", autouse=True)
def vector_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One sentence-vector cache for the whole session, never the user's, seeded with the shipped vectors of the
    dev corpus so the suite does not spend minutes embedding it."""
    folder = tmp_path_factory.mktemp("vectors")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("UWAGI_CACHE_DIR", str(folder))
        seed_vector_cache(folder)
        yield folder
