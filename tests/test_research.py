"""The researcher export answers researchers' questions (who, when, which consultation, which theme) and still
holds no original text, no personal columns and no staff answers; several runs pool into one table."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from pipeline.cli import main

ROOT = Path(__file__).resolve().parents[1]

FORM = (
    "Lp.;Data wpływu;Imię i nazwisko;E-mail;Typ zgłaszającego;Treść uwagi;Odpowiedź urzędu\n"
    "1;05.10.2022;Anna Kowalska;anna.kowalska@example.pl;organizacja;Proponujemy zwiększenie puli na małe granty "
    "dla organizacji z dzielnic, bo środki kończą się już w czerwcu.;Uwzględniono częściowo, Jan Urzędnik\n"
    "2;06.10.2022;Piotr Nowak;piotr@example.pl;mieszkaniec;Wolontariusze potrzebują ubezpieczenia i szkoleń z "
    "pierwszej pomocy, miasto powinno to sfinansować.;\n"
)


def _run(tmp_path: Path, name: str, *flags: str) -> Path:
    path = tmp_path / f"{name}.csv"
    path.write_text(FORM, encoding="utf-8")
    out = tmp_path / f"out_{name}"
    assert main(["run", str(path), "--out", str(out), "--id-col", "Lp.", "--submitter-col", "Typ zgłaszającego",
                 "--no-themes", *flags]) == 0
    return out


def test_research_export_names_submitter_date_consultation_and_source(tmp_path: Path) -> None:
    out = _run(tmp_path, "formularz", "--consultation", "Gdańsk NGO 2023")
    table = pd.read_parquet(out / "research.parquet")
    assert table["submitter_type"].tolist() == ["organizacja", "mieszkaniec"]
    assert [d.isoformat() for d in table["submitted"].dt.date] == ["2022-10-05", "2022-10-06"]
    assert set(table["consultation"]) == {"Gdańsk NGO 2023"}
    assert set(table["source_file"]) == {"formularz.csv"}
    assert table["length_words"].tolist()[1] == 12
    assert {"label", "confidence", "comment_type", "cluster_size", "theme", "lang", "taxonomy"} <= set(table.columns)
    # Never the original text, the personal columns or the office's answer, in either file.
    for frame in (table, pd.read_csv(out / "research.csv", dtype=str, keep_default_na=False)):
        assert not {"text", "answer", "decision", "Imię i nazwisko", "E-mail", "Odpowiedź urzędu"} & set(frame.columns)
        flat = frame.astype(str).to_csv()
        assert "Kowalska" not in flat and "@example.pl" not in flat and "Urzędnik" not in flat


def test_consultation_name_is_a_value_not_a_path(tmp_path: Path) -> None:
    name = 'Konsultacje 2023/24: "Program" <NGO> \\ ?*|'
    out = _run(tmp_path, "formularz", "--consultation", name)
    assert set(pd.read_parquet(out / "research.parquet")["consultation"]) == {name}
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == []  # nothing was made from the name


def test_default_consultation_is_the_taxonomy_name(tmp_path: Path) -> None:
    out = _run(tmp_path, "formularz")
    table = pd.read_parquet(out / "research.parquet")
    assert set(table["consultation"]) == set(table["taxonomy"]) == {
        "Program współpracy Miasta Gdańska z organizacjami pozarządowymi 2023"}


def test_one_run_over_several_consultations_names_each_row_by_its_input(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    gdansk = tmp_path / "gdansk.csv"
    gdansk.write_text(FORM, encoding="utf-8")
    folder = tmp_path / "sopot"  # a folder's files all belong to its consultation, a clashing file name too
    folder.mkdir()
    (folder / "gdansk.csv").write_text(FORM, encoding="utf-8")
    (folder / "pismo.txt").write_text("Prosimy o dłuższy termin naboru wniosków o granty.", encoding="utf-8")
    out = tmp_path / "out"
    names = ["Gdańsk = 2023/24", "Sopot"]  # any characters: a name is paired with its input by position
    assert main(["run", str(gdansk), str(folder), "--out", str(out), "--consultation", names[0],
                 "--consultation", names[1], "--no-themes"]) == 0
    table = pd.read_parquet(out / "research.parquet")
    assert table["consultation"].tolist() == [names[0]] * 2 + [names[1]] * 3
    assert table.groupby("consultation")["source_file"].nunique().to_dict() == {names[0]: 1, names[1]: 2}
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert manifest["consultation"] == names
    jsonschema.validate(manifest, json.loads((ROOT / "docs" / "run.schema.json").read_text(encoding="utf-8")))
    assert main(["run", str(gdansk), str(folder), str(gdansk), "--out", str(tmp_path / "x"),
                 "--consultation", "A", "--consultation", "B"]) == 2
    assert "podano 2 nazwy konsultacji (--consultation) dla 3 plików" in capsys.readouterr().err


def test_a_date_of_birth_is_not_a_submission_date(tmp_path: Path) -> None:
    path = tmp_path / "urodziny.csv"
    path.write_text("Data urodzenia;Treść uwagi\n1980-01-02;Więcej środków na wolontariat seniorów.\n",
                    encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-themes"]) == 0
    table = pd.read_parquet(out / "research.parquet")
    assert table["submitted"].isna().all() and "1980" not in table.astype(str).to_csv()


def test_pool_keeps_each_consultation_and_says_when_taxonomies_differ(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    gdansk = _run(tmp_path, "gdansk", "--consultation", "Gdańsk")
    lodz = _run(tmp_path, "lodz", "--consultation", "Łódź", "--taxonomy",
                str(ROOT / "data" / "taxonomies" / "lodz_bo_2025.toml"))
    capsys.readouterr()
    pooled = tmp_path / "razem"
    assert main(["pool", str(gdansk), str(lodz), "--out", str(pooled)]) == 0
    assert "różne taksonomie" in capsys.readouterr().err
    table = pd.read_parquet(pooled / "research.parquet")
    assert table["consultation"].tolist() == ["Gdańsk", "Gdańsk", "Łódź", "Łódź"]
    lodz_goals = set(table.loc[table["consultation"] == "Łódź", "label"])
    assert lodz_goals and table.groupby("taxonomy")["consultation"].nunique().tolist() == [1, 1]
    assert lodz_goals.isdisjoint(set(table.loc[table["consultation"] == "Gdańsk", "label"]))


def test_pool_of_a_folder_without_research_export_is_a_user_error(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pool", str(tmp_path), "--out", str(tmp_path / "razem")]) == 2
    assert "research.parquet" in capsys.readouterr().err
