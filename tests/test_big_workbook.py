"""A big consultation's workbook stays usable: "Uwagi" lists the comments of highest priority up to the configured
size, the first sheet says so, the other sheets keep every campaign and every comment to check, and the whole
table is in comments.csv and comments.parquet. No sheet passes Excel's row limit."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline import Config, ExportConfig, IngestConfig, run_job
from pipeline.export.workbook_rows import text_rows
from pipeline.export.xlsx import priority_order, texts_shown, write_workbook
from pipeline.sheets import SHEET_CAMPAIGNS, SHEET_COMMENTS, SHEET_REVIEW, SHEET_SUMMARY
from pipeline.vocabulary import ROLE_MEMBER, ROLE_REPRESENTATIVE, STATUS_REVIEW
from tests.workbook_checks import follow, link_formulas

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "samples" / "konsultacje_2023_demo.csv"
LIMIT = 30


def run(out: Path, limit: int) -> tuple:
    cfg = Config(ingest=IngestConfig(id_col="Nr zgłoszenia"),
                 export=ExportConfig(out_dir=out, workbook_max_comments=limit))
    result = run_job([DEMO], cfg)
    return result, load_workbook(result.workbook, read_only=True)


def data_rows(wb, sheet: str) -> list[tuple]:
    return [row for row in wb[sheet].iter_rows(min_row=2, values_only=True) if any(v is not None for v in row)]


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    return run(tmp_path_factory.mktemp("big") / "out", LIMIT)


def test_comments_sheet_lists_the_highest_priorities_up_to_the_limit(big):
    result, wb = big
    comments = result.comments
    assert len(comments) > LIMIT
    top = comments.loc[priority_order(comments), "comment_id"].head(LIMIT).tolist()
    assert [row[0] for row in data_rows(wb, SHEET_COMMENTS)] == top


def test_first_sheet_says_the_workbook_is_reduced(big):
    result, wb = big
    first = wb.worksheets[0]
    assert first.title == SHEET_SUMMARY
    note = first["A3"].value
    assert f"zawiera {LIMIT} z {len(result.comments)} uwag" in note and "comments.parquet" in note


def test_other_sheets_keep_every_campaign_and_every_comment_to_check(big):
    result, wb = big
    clusters = pd.read_csv(result.out_dir / "clusters.csv")
    assert len(data_rows(wb, SHEET_CAMPAIGNS)) == len(clusters) > 0
    to_check = (result.comments["status"] == STATUS_REVIEW).sum()
    assert len(data_rows(wb, SHEET_REVIEW)) == to_check > 0


def test_full_table_is_in_parquet_and_csv(big):
    result, _ = big
    parquet = pd.read_parquet(result.out_dir / "comments.parquet")
    csv = pd.read_csv(result.out_dir / "comments.csv", dtype=str, keep_default_na=False)
    assert parquet["comment_id"].tolist() == csv["comment_id"].tolist() == result.comments["comment_id"].tolist()
    assert parquet["text"].tolist() == result.comments["text"].tolist()
    manifest = json.loads((result.out_dir / "run.json").read_text(encoding="utf-8"))
    assert "comments.parquet" in manifest["outputs"]


def test_below_the_limit_everything_is_listed_and_nothing_is_added(tmp_path):
    result, wb = run(tmp_path / "out", 1_000)
    assert len(data_rows(wb, SHEET_COMMENTS)) == len(result.comments)
    assert wb.worksheets[0]["A3"].value is None
    assert not (result.out_dir / "comments.parquet").exists()


def test_no_sheet_passes_the_excel_row_limit(tmp_path, monkeypatch):
    # A worksheet of a header and 4 rows: fewer than the demo's comments to check (6; the default model learnt the
    # demo comments, so it is sure of most of them).
    monkeypatch.setattr("pipeline.export.big_workbook.EXCEL_ROWS", 5)
    result, wb = run(tmp_path / "out", 1_000)
    assert (result.comments["status"] == STATUS_REVIEW).sum() > 4
    assert len(data_rows(wb, SHEET_COMMENTS)) == len(data_rows(wb, SHEET_REVIEW)) == 4


def test_every_link_of_a_reduced_workbook_finds_its_comment(tmp_path):
    # A comment to check, or a campaign representative, may be below the limit: its link is left out, not #N/A.
    result, _ = run(tmp_path / "out", LIMIT)
    wb = load_workbook(result.workbook)
    links = link_formulas(wb)
    assert links
    for sheet, coordinate, _ in links:
        assert follow(wb, sheet, coordinate) >= 2
    review = data_rows(wb, SHEET_REVIEW)
    assert sum(1 for row in review if row[-1] is None) > 0  # comments to check not listed on "Uwagi" have no link


def test_writing_a_big_workbook_copies_only_the_rows_it_lists(big, tmp_path):
    # A million comments' table is gigabytes: the workbook may read every row, but copy only the rows a sheet
    # lists. The demo's comments repeated, with input columns of numbers (tracemalloc sees numpy's buffers).
    result, _ = big
    copies = 200
    table = pd.concat([result.comments] * copies, ignore_index=True)
    table["comment_id"] = [f"{i}-{c}" for i, c in enumerate(table["comment_id"])]
    numbers = pd.DataFrame(np.arange(len(table) * 200, dtype=np.float64).reshape(len(table), 200),
                           columns=[f"Liczba {j}" for j in range(200)])
    table = pd.concat([table, numbers], axis=1)
    clusters = pd.read_csv(result.out_dir / "clusters.csv", dtype=str)
    cfg = Config(export=ExportConfig(out_dir=tmp_path, workbook_max_comments=LIMIT))
    tracemalloc.start()
    try:
        write_workbook(table, tmp_path / "triage.xlsx", {}, clusters=clusters, cfg=cfg)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < numbers.to_numpy().nbytes / 2


def test_templates_texts_are_held_only_where_clusters_csv_is_built_from_the_workbook_table():
    # A spilled run builds clusters.csv on a worker from the part files: the workbook's table then needs no text of
    # the campaign members the templates read (most comments of a campaign-heavy consultation).
    table = pd.DataFrame({"priority": [1, 2, 3, 3], "cluster_id": [None, "c1", "c1", None],
                          "cluster_role": ["", ROLE_REPRESENTATIVE, ROLE_MEMBER, ""],
                          "status": ["do analizy"] * 4, "cluster_size": [1, 2, 2, 1]})
    cfg = Config(export=ExportConfig(workbook_max_comments=1))
    assert text_rows(table, ["text_clean"], cfg)["text_clean"].tolist() == [True, True, True, False]
    assert text_rows(table, ["text_clean"], cfg, templates=False)["text_clean"].tolist() == [True, False, False, False]


def test_of_the_rows_listed_the_workbook_table_holds_only_the_texts_the_comments_sheet_shows():
    # A comment's form sections (text_comment, ...) are on no sheet: a spilled run need not read them back.
    table = pd.DataFrame({"priority": [1, 2], "status": ["do analizy"] * 2})
    cfg = Config(export=ExportConfig(workbook_max_comments=1))
    texts = ["text", "text_comment", "text_clean", "evidence"]
    shown = text_rows(table, texts, cfg, on_sheet=texts_shown([*texts, "fingerprint"], cfg))
    assert {c: rows.tolist() for c, rows in shown.items()} == {
        "text": [True, False], "text_comment": [False, False], "text_clean": [False, False], "evidence": [True, False]}
    # Without fingerprints "Uwagi" takes them from the redacted text.
    assert "text_clean" in texts_shown(texts, cfg)
