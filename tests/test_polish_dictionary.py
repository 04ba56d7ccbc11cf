"""simplemma's Polish dictionary as a file in the cache folder: the same lemmas, rebuilt when damaged."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import simplemma

from pipeline import diacritics, polish_dictionary
from pipeline.polish_dictionary import FILE_NAME, LemmaTable, build_table, open_table, polish_lemmatizer, polish_table

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "konsultacje_2023_demo.csv"
SMALL = {"domy": "dom", "miastach": "miasto", "łąkami": "łąka", "wsparcia": "wsparcie"}


def test_lemmas_are_those_simplemma_gives():
    texts = pd.read_csv(SAMPLE, sep=";", dtype=str, encoding="utf-8-sig")["Treść uwagi"].dropna()
    forms = sorted({w for t in texts for w in re.findall(r"\S+", t)})
    forms += [f.lower() for f in forms] + ["NGO-sów", "biało-czerwonych", "zrobiłbym", "Ludzie", "x" * 300]
    lemmatize = polish_lemmatizer()  # the session's cache folder: built once for the whole suite
    assert [lemmatize(f) for f in forms] == [simplemma.lemmatize(f, lang="pl") for f in forms]


def test_table_reads_back_what_was_written_and_refuses_another_source(tmp_path):
    path = tmp_path / FILE_NAME
    build_table(path, b"a" * 32, SMALL)
    table = open_table(path, b"a" * 32)
    assert isinstance(table, LemmaTable)
    assert {form: table[form] for form in table} == SMALL and len(table) == len(SMALL)
    assert table.get("domów") is None and "domów" not in table
    assert open_table(path, b"b" * 32) is None  # built from another dictionary: not trusted


@pytest.mark.parametrize("damage", [lambda data: data[:-3], lambda data: data[:10], lambda data: b""])
def test_a_damaged_table_is_built_again(tmp_path, monkeypatch, damage):
    monkeypatch.setattr(polish_dictionary.DefaultDictionaryFactory, "get_dictionary", lambda self, lang: SMALL)
    first = polish_table(tmp_path)
    path = tmp_path / FILE_NAME
    path.write_bytes(damage(path.read_bytes()))
    again = polish_table(tmp_path)
    assert isinstance(first, LemmaTable) and isinstance(again, LemmaTable)
    assert dict(again) == SMALL


def test_without_a_writable_cache_folder_simplemmas_own_dictionary_is_used(tmp_path, monkeypatch):
    monkeypatch.setattr(polish_dictionary.DefaultDictionaryFactory, "get_dictionary", lambda self, lang: SMALL)
    not_a_folder = tmp_path / "plik"
    not_a_folder.write_text("")
    assert polish_table(not_a_folder) is SMALL


def test_diacritics_restorations_come_from_the_cache_table_and_match_wordfreq(tmp_path, monkeypatch):
    """Words typed without Polish letters get them back from a table a process opens, built from wordfreq once."""
    monkeypatch.setenv("UWAGI_CACHE_DIR", str(tmp_path))
    diacritics._restorations.cache_clear()
    restorations = diacritics._restorations()
    assert isinstance(restorations, LemmaTable) and (tmp_path / diacritics.FILE_NAME).is_file()
    built = diacritics._build_restorations()
    assert len(restorations) == len(built) and all(restorations.get(k) == v for k, v in built.items())
    diacritics.restore_word.cache_clear()
    assert [diacritics.restore_word(w) for w in ("wspolpraca", "Zrodla", "program")] == ["współpraca", "Źródła",
                                                                                          "program"]
    diacritics._restorations.cache_clear()
    diacritics.restore_word.cache_clear()
