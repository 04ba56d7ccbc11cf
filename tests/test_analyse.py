"""`features.analyse` joins its columns from the Polish layer's `Tokens` (each batch's cases, taken by array
indexing), and `polish.analyze` builds its `Analysis` tuples from them: both must be what the plain paths give, a
Python object per token, kept here as the references."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import polish
from pipeline.clean import detect_language, fold, fold_comment, strip_diacritics
from pipeline.features import _HEAD_CHARS, ANALYSED_COLUMNS, _glossary_language, analyse
from pipeline.glossary import default_glossary
from pipeline.polish import Analysis, get_nlp
from pipeline.vocabulary import PLACEHOLDER
from tests.quality_data import ROOT, read_jsonl

_WORD = re.compile(r"[^\W\d_]+")


def reference_analyse(texts: list[str]) -> pd.DataFrame:
    """`analyse` as it was written over each text's `Analysis`: a filter and a join per token."""
    glossary = default_glossary()
    langs = [detect_language(text) for text in texts]
    rows = []
    for text, lang, a in zip(texts, langs, polish.analyze(texts, langs=langs)):
        own = " ".join(a.content)
        lemmas = [t for t in a.folded if t.isalnum() or t == "?" or any(ch.isalnum() for ch in t)]
        translated = glossary.translate(a.tokens, _glossary_language(text, lang))
        if translated:
            lemmas += [fold(t) for t in translated]
        rows.append((" ".join([*a.content, *translated]) if translated else own, " ".join(lemmas),
                     fold_comment(text), fold(text.strip().split("\n", 1)[0][:_HEAD_CHARS]), lang,
                     len(_WORD.findall(PLACEHOLDER.sub(" ", text))), own))
    rows = [(*row, row[0].split(), row[1].split()) for row in rows]
    return pd.DataFrame(rows, columns=list(ANALYSED_COLUMNS))


def reference_analyses(texts: list[str]) -> list[Analysis]:
    """Each text's `Analysis` from a spaCy `Doc` with its lemmas written, token by token."""
    nlp = get_nlp()
    docs = [nlp.make_doc(text) for text in texts]
    nlp.get_pipe("pl_lemmatizer").set_lemmas(docs)
    out = []
    for doc in docs:
        tokens = [t for t in doc if not t.text.isspace()]
        lemmas = tuple(t.lemma_ for t in tokens)
        content = tuple(t.lemma_ for t in tokens if polish._token_info(t.text, t.lemma_)[3])
        out.append(Analysis(tuple(t.text for t in tokens), lemmas, tuple(map(strip_diacritics, lemmas)), content))
    return out


def assert_same_analyses(texts: list[str]) -> None:
    pd.testing.assert_frame_equal(analyse(texts), reference_analyse(texts))
    assert polish.analyze(texts) == reference_analyses(texts)


def sample(texts: list[str], n: int) -> list[str]:
    return random.Random(17).sample(texts, min(n, len(texts)))


def test_analyses_of_the_labelled_corpora_are_the_plain_paths() -> None:
    texts = [row["text"] for path in sorted((ROOT / "data").glob("*/*.jsonl")) for row in read_jsonl(path)]
    demo = pd.read_csv(ROOT / "data" / "samples" / "konsultacje_2023_demo.csv", sep=";", dtype=str,
                       encoding="utf-8-sig")["Treść uwagi"].fillna("").tolist()
    assert_same_analyses(sample(texts, 400) + sample(demo, 200))


def test_analyses_of_the_shared_corpora_are_the_plain_paths(shared_dir: Path) -> None:
    texts = [row["text"] for row in read_jsonl(shared_dir / "data" / "gdansk_ngo_2023" / "dev.jsonl")]
    proposals = pd.read_csv(shared_dir / "data" / "lodz_bo_2025" / "proposals.csv", dtype=str)
    texts += [f"{name}\n{text}" for name, text in zip(proposals["nazwa"].fillna(""), proposals["opis"].fillna(""))]
    assert_same_analyses(sample(texts, 500))


def test_analyses_of_the_benchmark_export_are_the_plain_paths(benchmark_export: list[str]) -> None:
    # A sample of the 20,000 comments `bench/bench_pipeline.py` exports: campaigns, duplicates, placeholders.
    assert_same_analyses(sample(benchmark_export, 1_500))


_WORDS = ["Dzień", "dobry", "proszę", "o", "zmianę", "NGO-sów", "środki", "srodki", "ludzie", "Bez", "sensu", "ul.",
          "np.", "?", "!", "...", "[OSOBA]", "[EMAIL]", "12", "1 200", "2024-2025", "„cytat”", "subsidy", "grants",
          "volunteers", "city", "we", "need", "more", "дотація", "волонтери", "місто", "Gdańsk", "e-mail", "—", ""]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from([" ", " ", "\n", "  ", ", ", ". "])),
                         max_size=40).map(lambda parts: "".join(w + s for w, s in parts)), min_size=1, max_size=6))
def test_analyses_of_mixed_texts_are_the_plain_paths(texts: list[str]) -> None:
    # English and Ukrainian words bring the glossary's lemmas (after the text's own, or alone); "?" and
    # placeholders, texts without content lemmas and empty texts.
    assert_same_analyses(texts)


@pytest.mark.parametrize("batch_size", [1, 2, 1_000])
def test_tokens_per_batch_cover_every_text(batch_size: int) -> None:
    texts = ["Bez sensu, ludzie", "", "We need more grants for volunteers.", "Srodki na wspolprace [OSOBA]?"]
    batches = list(polish.analyze_tokens(texts, batch_size=batch_size))
    assert [len(batch.bounds) - 1 for batch in batches] == [len(texts[lo:lo + batch_size])
                                                           for lo in range(0, len(texts), batch_size)]
    joined = [lemmas for batch in batches for lemmas in batch.content_lemmas()]
    assert joined == [" ".join(a.content) for a in reference_analyses(texts)]


def test_the_lemma_columns_words_are_what_splitting_them_gives() -> None:
    """`content_terms` and `lemmas_terms`, which the word block, the comment type and the keyword search read, are
    the `str.split()` words of `content` and `lemmas`: also where a lemma holds spaces (a grouped number), the
    glossary adds words to an English text, and a text has no words."""
    texts = ["Prosimy o 1 200 000 zł dla organizacji i  szkół.", "?", "...", "Ala ma kota.",
             "Dear Sirs, as a foundation working with refugees we ask the city to keep the grants for volunteers."]
    analysed = analyse(texts)
    for column in ("content", "lemmas"):
        assert analysed[f"{column}_terms"].tolist() == [doc.split() for doc in analysed[column]]
    assert analysed["lemmas_terms"][0][2:5] == ["1", "200", "000"]
    assert analysed["content_terms"][2] == []
