"""raport.html opens in a real browser (headless Chromium) with no console errors and shows every chart."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from PIL import Image

from pipeline.cli import main

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("raport") / "wynik"
    assert main(["run", str(ROOT / "data" / "samples" / "konsultacje_2023_demo.csv"), "--id-col", "Nr zgłoszenia",
                 "--out", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    return out / "raport.html"


def test_report_is_one_file_without_scripts_or_outside_references(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert "<script" not in page and not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//|file:)""", page)
    for heading in ("Cele", "Statusy", "Kampanie i duplikaty", "Tematy"):
        assert f"<h2>{heading}</h2>" in page


def test_report_of_a_folder_that_is_not_an_output_folder_is_a_user_error(tmp_path: Path) -> None:
    assert main(["report", str(tmp_path)]) == 2


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package chromium; CI installs it)")
def test_report_opens_in_chromium_without_console_errors_and_shows_every_chart(report: Path, tmp_path: Path) -> None:
    page = report.read_text(encoding="utf-8")
    charts = page.count('<figure class="chart"')
    assert charts >= 4  # goals, statuses, largest groups, themes per goal
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
               f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*command, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0
    # Chromium logs every message of the page's console as "CONSOLE"; the page must log none (no errors at all).
    assert not [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    figures = re.findall(r'<figure class="chart".*?</figure>', dom.stdout, flags=re.S)
    assert len(figures) == charts and all(re.search(r"<svg[^>]*\swidth=", f) and "<path" in f for f in figures)
    shot = tmp_path / "raport.png"
    subprocess.run([*command, f"--screenshot={shot}", "--window-size=1000,4000", report.as_uri()],
                   capture_output=True, timeout=120, check=True)
    # The bars are drawn: a good share of the page is dark blue, not an empty white page.
    assert (np.asarray(Image.open(shot).convert("L")) < 160).sum() > 20_000


def test_themes_reach_the_workbook_and_every_theme_has_phrases_and_a_redacted_quote(report: Path) -> None:
    out = report.parent
    themes = pd.read_csv(out / "themes.csv", keep_default_na=False)
    sheet = load_workbook(out / "triage.xlsx", read_only=True)["Tematy"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Temat", "Cel", "Liczba uwag") and sorted(r[0] for r in rows[1:]) == sorted(themes["theme"])
    assert themes["key_phrases"].str.count("; ").ge(4).mean() > 0.8  # 5-8 phrases for nearly every theme
    comments = pd.read_csv(out / "comments.csv", keep_default_na=False)
    assert themes["size"].sum() == comments["theme"].astype(bool).sum()
    assert not themes["quote"].isin(comments.loc[comments["pii"] != "", "text"]).any()  # the redacted text only
