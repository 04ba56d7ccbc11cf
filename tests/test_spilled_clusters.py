"""clusters.csv of a spilled run, built from its part files on a worker, is the table of the whole batch."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pandas.testing import assert_frame_equal

from pipeline.cluster import cluster_table
from pipeline.config import Config
from pipeline.export.spilled_clusters import spilled_cluster_table
from pipeline.vocabulary import KIND_CAMPAIGN, KIND_DUPLICATE, ROLE_MEMBER, ROLE_REPRESENTATIVE, ROLE_UNIQUE

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
