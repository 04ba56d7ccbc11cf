"""clusters.csv of a spilled run, built from its part files on a worker, is the table of the whole batch."""

from __future__ import annotations

import tracemalloc
from importlib import import_module
from pathlib import Path

import pandas as pd
from pandas.testing import assert_frame_equal

from pipeline.cluster import cluster_table
from pipeline.config import Config
from pipeline.export.spilled_clusters import spilled_cluster_table
from pipeline.vocabulary import KIND_CAMPAIGN, KIND_DUPLICATE, ROLE_MEMBER, ROLE_REPRESENTATIVE, ROLE_UNIQUE

clustering = import_module("pipeline.cluster")  # the package's `cluster` is the stage function

TEMPLATE = "Wnoszę o zmianę zapisu dotyczącego parkingów. Proszę o więcej zieleni przy szkołach."


def clustered_table() -> pd.DataFrame:
    """A campaign of 70 letters (more than a template reads) whose members are spread over every part, with the
    representative in the last part, a duplicate pair and unique comments between them."""
    rows = []
    for i in range(100):
        if i % 10 == 3 and i < 90:
            rows.append(("D-1", ROLE_REPRESENTATIVE if i == 3 else ROLE_MEMBER, 2, KIND_DUPLICATE, "Popieram.")
                        if i in (3, 13) else (f"U-{i}", ROLE_UNIQUE, 1, "", f"Własna uwaga numer {i}."))
        elif i % 10 in (0, 1, 2, 5, 6, 7, 8):
            role = ROLE_REPRESENTATIVE if i == 95 else ROLE_MEMBER
            rows.append(("K-1", role, 70, KIND_CAMPAIGN, f"{TEMPLATE} Dopisek {i}." if i % 20 == 0 else TEMPLATE))
        else:
            rows.append((f"U-{i}", ROLE_UNIQUE, 1, "", f"Inna uwaga {i}."))
    table = pd.DataFrame(rows, columns=["cluster_id", "cluster_role", "cluster_size", "cluster_kind", "text_clean"])
    return table.assign(comment_id=[f"C-{i}" for i in range(len(table))],
                        label=["cel-1" if i % 3 else "cel-2" for i in range(len(table))])


def test_the_parts_give_the_clusters_of_the_whole_table(tmp_path: Path) -> None:
    table = clustered_table()
    bounds = [0, 30, 64, 100]
    paths = [tmp_path / f"part-{i}.pkl" for i in range(len(bounds) - 1)]
    for path, lo, hi in zip(paths, bounds[:-1], bounds[1:]):
        table.iloc[lo:hi].to_pickle(path)
    found = spilled_cluster_table(paths, bounds, Config())
    assert_frame_equal(found, cluster_table(table, Config()))
    assert found["size"].tolist() == [70, 2]
    assert found["template"].tolist() == [TEMPLATE, "Popieram."]


def letters_table(clusters: int, members: int, sentences: int) -> pd.DataFrame:
    """`clusters` campaigns of `members` long letters each (every letter its own sentences), interleaved."""
    rows = []
    for m in range(members):
        for c in range(clusters):
            text = " ".join(f"Zdanie {s} listu {m} w kampanii {c}: żądam zieleni i ścieżek." for s in range(sentences))
            rows.append((f"K-{c}", ROLE_REPRESENTATIVE if m == 0 else ROLE_MEMBER, members, KIND_CAMPAIGN, text))
    table = pd.DataFrame(rows, columns=["cluster_id", "cluster_role", "cluster_size", "cluster_kind", "text_clean"])
    return table.assign(comment_id=[f"C-{i}" for i in range(len(table))], label="cel-1")


def test_the_templates_are_the_same_read_a_slice_of_clusters_at_a_time(monkeypatch) -> None:
    table = pd.concat([letters_table(7, 3, 2), clustered_table()], ignore_index=True)
    whole = cluster_table(table, Config())
    for texts in (1, 4, 10):  # one cluster at a time; slices that end inside a cluster's texts
        monkeypatch.setattr(clustering, "_TEMPLATE_TEXTS", texts)
        assert_frame_equal(cluster_table(table, Config()), whole)


def test_the_worker_holds_the_template_texts_as_utf8_and_a_slice_at_a_time_as_strings(tmp_path: Path,
                                                                                      monkeypatch) -> None:
    # 600 letters of 17,000 characters, some Polish: 20 MB as Python strings (two bytes a character), 11 MB UTF-8.
    table = letters_table(20, 30, 300)
    utf8 = int(table["text_clean"].str.encode("utf-8").str.len().sum())
    bounds = list(range(0, 601, 50))
    paths = [tmp_path / f"part-{i}.pkl" for i in range(12)]
    for path, lo, hi in zip(paths, bounds[:-1], bounds[1:]):
        table.iloc[lo:hi].to_pickle(path)
    del table
    monkeypatch.setattr(clustering, "_TEMPLATE_TEXTS", 60)
    # The cores' cache would keep every text it saw (up to its bound, far past this test's texts).
    monkeypatch.setattr(clustering, "core_text", clustering.core_text.__wrapped__)
    tracemalloc.start()
    try:
        found = spilled_cluster_table(paths, bounds, Config())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(found) == 20
    assert peak < 1.5 * utf8
