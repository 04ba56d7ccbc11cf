"""Counts staff read (stderr, the Informacje sheet) agree in number with their noun: 1 uwaga, 22 uwagi, 44 wiersze."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from pipeline.commands.learn import describe_counts
from pipeline.export.xlsx import write_workbook
from pipeline.runlog import RunLog
from pipeline.sheets import SHEET_INFO
from tests.test_learn import TAXONOMY, small_table


def test_learn_says_what_it_read_with_polish_number_agreement() -> None:
    line = describe_counts("z arkusza triage.xlsx", {"labels": 2, "decisions": 4, "answers": 1, "data": 44, "corrected": 22})
    assert line == ("uwagi: z arkusza triage.xlsx: 2 poprawione cele, 4 decyzje, 1 odpowiedź; dane uczące: 44 uwagi "
                    "(w tym 22 poprawione przez pracowników)")
    line = describe_counts("z arkusza t.xlsx", {"labels": 1, "decisions": 5, "answers": 12, "data": 1, "corrected": 1})
    assert "1 poprawiony cel, 5 decyzji, 12 odpowiedzi; dane uczące: 1 uwaga (w tym 1 poprawiona " in line


def test_stage_progress_lines_agree_in_number() -> None:
    console = io.StringIO()
    log = RunLog(console=console)
    for rows in (1, 22, 12):
        log.stage("redact", rows, 0.1)
    assert [line.split(": ")[2].split(",")[0] for line in console.getvalue().splitlines()] == \
        ["1 uwaga", "22 uwagi", "12 uwag"]


def test_information_sheet_counts_agree_in_number(tmp_path: Path) -> None:
    manifest = {"created": "2026-11-26T17:00:00+00:00",
                "inputs": [{"path": "formularz.xlsx", "rows": 44, "sha256": "0" * 64}]}
    path = write_workbook(small_table(), tmp_path / "triage.xlsx", manifest, taxonomy=TAXONOMY)
    values = {row[0].value: row[1].value for row in load_workbook(path)[SHEET_INFO].iter_rows() if row[0].value}
    assert values["Plik wejściowy"].startswith("formularz.xlsx (44 wiersze, SHA-256")
    assert values["Taksonomia celów"].endswith("(9 celów)")
