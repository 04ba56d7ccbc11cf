from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.clean import clean_text, fold
from pipeline.cluster import ShareMemo, added_sentences, cluster, cluster_table, template_bigrams
from pipeline.cluster_keys import FOLDED_COLUMN, KEY_COLUMNS, cluster_keys, strip_boilerplate
from pipeline.config import Config
from pipeline.minhash import estimate_jaccard, signatures
from pipeline.row_source import reading_from
from pipeline import minhash, sentences
from pipeline.sentences import split_sentences
from pipeline.stage import MissingColumnsError
from pipeline.vocabulary import ROLE_MEMBER, ROLE_REPRESENTATIVE, ROLE_UNIQUE
from tests.synthetic_campaigns import bcubed_f1, make_corpus, pair_scores

CFG = Config()

TEMPLATE = (
    "Jako mieszkańcy Gdańska wnosimy o wpisanie do Programu współpracy na 2023 rok stałego funduszu "
    "reagowania kryzysowego. Pieniądze na taki fundusz powinny być zarezerwowane w budżecie miasta z góry, "
    "a nie szukane dopiero wtedy, gdy kryzys już trwa.\n\nProsimy również o uruchomienie szybkiej ścieżki "
    "małych grantów na sytuacje nagłe, z krótkim wnioskiem i decyzją w ciągu 7 dni. Ludzie, którzy pomagają, "
    "nie mogą czekać tygodniami na rozstrzygnięcie konkursu."
)
OTHER_LETTER = (
    "Proponujemy, aby konkursy ogłaszane przez Wydział Rozwoju Społecznego miały jednolity harmonogram "
    "publikowany w styczniu. Organizacje sportowe potrzebują wiedzieć z wyprzedzeniem, kiedy składać wnioski, "
    "bo sezon zaczyna się we wrześniu. Pieniądze na taki fundusz powinny być zarezerwowane w budżecie miasta "
    "z góry, a nie szukane dopiero wtedy, gdy kryzys już trwa. Prosimy też o dłuższe terminy rozliczeń."
)


def frame(texts: list[str], **extra) -> pd.DataFrame:
    return pd.DataFrame({"comment_id": [f"c{i}" for i in range(len(texts))], "text_clean": texts, **extra})


def run(texts: list[str], **extra) -> pd.DataFrame:
    return cluster(frame(texts, **extra), CFG)


# ------------------------------------------------------------------------------------------- text preparation


def test_boilerplate_is_stripped():
    text = ("Szanowni Państwo,\n\nWnoszę o zmianę § 5. Mój e-mail: [EMAIL].\n\n"
            "Z poważaniem\n[OSOBA]\ntel. [TELEFON]")
    assert strip_boilerplate(text) == "Wnoszę o zmianę § 5. Mój e-mail:  ."
    assert strip_boilerplate("Dzień dobry, popieram projekt.") == "popieram projekt."
    # A sentence that merely starts like a closing is content.
    body = "Popieram.\nZ tego powodu proszę o zmianę zapisu w § 5 ust. 2 i przedłużenie terminu."
    assert strip_boilerplate(body) == body


cluster_keys_module = sys.modules[cluster_keys.__module__]
cluster_module = sys.modules[cluster.__module__]
_SIGNATURE_PIECES = ["Pozdrawiam", "z poważaniem", "Z", "--", "  ", " ", "\n", "\t", "\x1c", "\x85", "\u2028",
                     "\u3000", "Jan", ",", ".", "ą", "-"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_SIGNATURE_PIECES), max_size=120).map("".join))
def test_a_closing_is_looked_for_at_each_line_start_and_the_last_words_counted_as_split_counts_them(text: str):
    # What strip_boilerplate reads of a letter's end: a closing's candidates are its pattern's matches at the
    # start of every line but the first, and the last words are str.split()'s (any Unicode space parts them).
    expected = [m.span() for m in cluster_keys_module._CLOSING_START.finditer(text) if m.start() > 0]
    assert [m.span() for m in cluster_keys_module._closing_starts(text)] == expected
    words = list(re.finditer(r"\S+", text))
    limit = cluster_keys_module._MAX_SIGNATURE_WORDS
    assert cluster_keys_module._last_words_start(text) == (words[-limit - 1].end() if len(words) > limit else 0)


def test_sentences_respect_polish_abbreviations():
    text = ("Mieszkam przy ul. Długiej 5 od 2019 r. i np. art. 5 mnie dotyczy. "
            "Proszę o zmianę! Czy to m.in. możliwe?")
    assert split_sentences(text) == [
        "Mieszkam przy ul. Długiej 5 od 2019 r. i np. art. 5 mnie dotyczy.",
        "Proszę o zmianę!",
        "Czy to m.in. możliwe?",
    ]


@pytest.mark.parametrize(("text", "sentences"), [
    ("Powiedział: „Nie.” Potem wyszedł.", ["Powiedział: „Nie.”", "Potem wyszedł."]),
    ("Zob. (art. 5.) Dalej idziemy.", ["Zob. (art. 5.)", "Dalej idziemy."]),
    ("Tak… Nie?! Może.", ["Tak…", "Nie?!", "Może."]),
    ("J. Kowalski pisze. 12. Proponujemy zmiany.", ["J. Kowalski pisze.", "12. Proponujemy zmiany."]),
    ("Jak w Dz.U. Tak. Dz.U. z 2023 r. Jesteśmy", ["Jak w Dz.U. Tak.", "Dz.U. z 2023 r.", "Jesteśmy"]),
])
def test_sentences_end_after_closing_quotes_brackets_and_marks(text: str, sentences: list[str]):
    assert split_sentences(text) == sentences


class _CountingSearch:
    """A pattern whose searches count the characters they may scan."""

    def __init__(self, pattern):
        self.pattern, self.scanned = pattern, 0

    def search(self, text, start, end):
        self.scanned += end - start
        return self.pattern.search(text, start, end)


def test_a_long_line_full_of_abbreviations_is_split_reading_each_character_a_bounded_number_of_times(monkeypatch):
    # Each full stop looks back only at the word before it: searched from the sentence's start, the line's 4,000
    # full stops would each rescan all that came before them (about 56 million characters, seconds of CPU).
    line = "Wnoszę o zmianę w " + "ust. 5 pkt. 3 " * 2000 + "i tyle. Koniec."
    counting = _CountingSearch(sentences._LAST_WORD)
    monkeypatch.setattr(sentences, "_LAST_WORD", counting)
    assert split_sentences(line) == [line[: -len(" Koniec.")], "Koniec."]
    assert counting.scanned <= len(line)


def test_a_letters_added_sentences_do_not_depend_on_the_letters_measured_before_it():
    # A cluster's letters share one memo of lines and sentences measured against the template: a letter pasted
    # without Polish letters, one with a character that folds to two ("ﬁ") and repeated lines must each get what
    # they get measured alone.
    own = "Mieszkam na Zaspie od urodzenia i codziennie widzę, jak bardzo brakuje tu świetlicy."
    plain = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
    letters = [TEMPLATE, TEMPLATE + "\n" + own, (TEMPLATE + "\n" + own).translate(plain),
               own + " Dziękuję za ﬁnansowanie.\n" + TEMPLATE, TEMPLATE.replace("Gdańska", "Gdanska") + "\n" + own,
               TEMPLATE + "\n" + own + " Tak.\n" + own]
    reference = template_bigrams([fold(TEMPLATE)] * 3)
    alone = [added_sentences(t, reference, 0.5) for t in letters]
    for order in (letters, letters[::-1]):
        memo = ShareMemo()
        assert {t: added_sentences(t, reference, 0.5, memo) for t in order} == dict(zip(letters, alone))
    assert alone[1] == alone[4] == [own]
    assert alone[2] == [own.translate(plain)]


# ------------------------------------------------------------------------------------------------------ minhash


def test_signature_agreement_estimates_jaccard():
    rng = np.random.default_rng(0)
    base = "".join(rng.choice(list("abcdefghijklmnoprstuwyz "), size=3000))
    edited = base[:2000] + "".join(rng.choice(list("abcdefghijklmnoprstuwyz "), size=1000))
    a, b = ({t[i : i + 5] for i in range(len(t) - 4)} for t in (base, edited))
    true = len(a & b) / len(a | b)
    sig = signatures([base, edited], num_bins=256)
    assert abs(estimate_jaccard(sig[:1], sig[1:])[0] - true) < 0.1


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(alphabet=st.sampled_from(list("ab ąż\x00🙂")), max_size=12), max_size=8),
       k=st.integers(1, 6), seed=st.integers(0, 2**64 - 1))
def test_shingle_hashes_are_each_texts_own_k_grams_hashed_one_by_one(texts: list[str], k: int, seed: int) -> None:
    # Every k-gram of each text (a shorter text padded to one), hashed alone: none crosses into the next text.
    expected, owners = [], []
    for doc, text in enumerate(texts):
        padded = text.ljust(k, "\x00") if text else ""
        for i in range(len(padded) - k + 1):
            h = 0
            for char in padded[i : i + k]:
                h = (h * int(minhash._BASE) + ord(char)) % 2**64
            expected.append(h)
            owners.append(doc)
    hashes, docs = minhash.shingle_hashes(texts, k, seed)
    assert hashes.tolist() == minhash._mix(np.array(expected, dtype=np.uint64), seed).tolist()
    assert docs.tolist() == owners


@given(a=st.lists(st.integers(0, 2**62), max_size=30), b=st.lists(st.integers(0, 2**62), max_size=30))
def test_the_union_of_two_sorted_arrays_is_every_value_once_in_order(a: list[int], b: list[int]) -> None:
    # Candidate pairs gather band by band this way: a pair two bands found is verified once.
    x, y = (np.unique(np.array(v, dtype=np.int64)) for v in (a, b))
    assert minhash.sorted_union(x, y).tolist() == sorted(set(a) | set(b))


@given(st.lists(st.lists(st.sampled_from(["ala", "ma", "kota", "psa", "nie"]), max_size=5).map(" ".join),
                max_size=7))
@settings(max_examples=300)
def test_a_template_holds_the_word_pairs_of_at_least_four_fifths_of_its_letters(letters: list[str]) -> None:
    # Small clusters (every letter must hold a pair) are intersected rather than counted: the same pairs.
    def pairs(letter: str) -> set[tuple[str, ...]]:
        words = letter.split()
        return set(zip(words, words[1:])) if len(words) > 1 else {tuple(words)} if words else set()

    need = max(2, -(-4 * len(letters) // 5))
    expected = {p for p in set().union(*map(pairs, letters)) if sum(p in pairs(m) for m in letters) >= need}
    assert template_bigrams(letters) == expected


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.one_of(st.characters(max_codepoint=127), st.sampled_from(list("ąż²ﬁ١_…„ ")))))
def test_the_words_of_a_folded_line_are_those_of_the_word_pattern(text: str) -> None:
    # An ASCII line's words are split out of a byte table's spaces: the same runs as the pattern finds, "_", digits,
    # control characters and every punctuation mark included; other lines go through the pattern itself.
    assert cluster_module._word_pieces(text) == re.findall(r"[^\W_]+", text)


# ------------------------------------------------------------------------------------------------------- stage


def test_columns_roles_and_ids():
    texts = [
        OTHER_LETTER,
        TEMPLATE,
        "Popieram.",
        TEMPLATE.replace("ą", "a").replace("ę", "e").replace("ó", "o"),  # pasted without Polish letters
        "Dzień dobry,\n" + TEMPLATE.upper() + "\n\nPozdrawiam\nJan",
        "popieram",
    ]
    df = frame(texts)
    out = cluster(df, CFG)
    assert df.columns.tolist() == ["comment_id", "text_clean"]  # the input table is left alone
    assert list(out["comment_id"]) == [f"c{i}" for i in range(6)]  # same rows, same order
    assert list(out["cluster_id"]) == ["c0", "c1", "c2", "c1", "c1", "c2"]
    assert list(out["cluster_size"]) == [1, 3, 2, 3, 3, 2]
    assert list(out["cluster_role"]) == [ROLE_UNIQUE, ROLE_REPRESENTATIVE, ROLE_REPRESENTATIVE, ROLE_MEMBER,
                                         ROLE_MEMBER, ROLE_MEMBER]
    assert out["cluster_similarity"].between(0, 1).all()
    assert out.loc[3, "cluster_similarity"] == 1.0


def test_template_with_personal_paragraph_matches_and_added_text_is_the_paragraph():
    personal = (
        "Od sześciu lat prowadzę świetlicę dla dzieci na Oruni i co roku w styczniu zostajemy bez pieniędzy na "
        "czynsz. Wtedy płacimy z własnej kieszeni, a dzieci i tak przychodzą codziennie po szkole."
    )
    texts = [TEMPLATE, personal + "\n\n" + TEMPLATE + "\n\nZ poważaniem\nAnna Nowak", TEMPLATE + "\n" + personal]
    out = run(texts)
    assert out["cluster_id"].nunique() == 1
    assert out.loc[1, "added_text"] == personal
    assert out.loc[2, "added_text"] == personal
    assert out.loc[0, "added_text"] == ""


def test_what_each_sender_added_does_not_depend_on_the_representative():
    mama = "Moja mama jest seniorką i bardzo potrzebuje tej pomocy."
    own = ["Mieszkam na Zaspie od urodzenia.", "Jestem wolontariuszem w hospicjum od trzech lat.",
           "Prowadzę małą fundację na Oruni.", "Moi sąsiedzi podpisali się pod tym listem.",
           "Sama korzystałam z tej formy wsparcia."]
    letters = [TEMPLATE + "\n" + mama, TEMPLATE + "\n" + mama] + [TEMPLATE + "\n" + o for o in own] + [TEMPLATE]
    expected = [mama, mama, *own, ""]
    for order in (letters, letters[::-1]):
        out = run(order)
        assert out["cluster_id"].nunique() == 1
        got = dict(zip(order, out["added_text"]))
        assert [got[t] for t in letters] == expected  # the representative's own sentence counts as added too


def test_one_shared_stock_sentence_is_not_a_campaign():
    out = run([TEMPLATE, OTHER_LETTER])
    assert list(out["cluster_role"]) == [ROLE_UNIQUE, ROLE_UNIQUE]


def test_very_short_comments_join_only_exact_duplicates():
    out = run(["Popieram ten projekt w całości.", "Popieram ten projekt w całości!",
               "Popieram ten projekt w całoś."])
    assert list(out["cluster_id"]) == ["c0", "c0", "c2"]


def test_short_comments_differing_by_a_word_stay_apart():
    out = run(["Czy mały grant można dostać dwa razy w roku na różne działania?",
               "Czy mały grant można dostać dwa razy w roku na dwa różne projekty?"])
    assert out["cluster_size"].tolist() == [1, 1]


def test_near_copies_that_say_the_opposite_stay_apart():
    """Answered once for both, one of them would get the wrong answer."""
    pairs = [
        ("Popieram wprowadzenie opłat za korzystanie z lokali miejskich przez organizacje pozarządowe w Gdańsku od "
         "2024 roku.", "Nie popieram wprowadzenia opłat za korzystanie z lokali miejskich przez organizacje "
         "pozarządowe w Gdańsku od 2024 roku."),
        ("Jestem za tym, aby konkursy ofert dla organizacji sportowych ogłaszać w styczniu każdego roku budżetowego.",
         "Jestem przeciw temu, aby konkursy ofert dla organizacji sportowych ogłaszać w styczniu każdego roku "
         "budżetowego."),
        ("Proponuję, aby minimalny wkład własny w konkursach ofert wynosił 10 procent wartości zadania publicznego.",
         "Proponuję, aby minimalny wkład własny w konkursach ofert wynosił 0 procent wartości zadania publicznego."),
    ]
    for first, second in pairs:
        assert run([first, second])["cluster_size"].tolist() == [1, 1], second
    same = "Proponuję, aby minimalny wkład własny w konkursach ofert wynosił 10 procent wartości zadania publicznego."
    assert run([same, same.replace("Proponuję", "Proponuje")])["cluster_size"].tolist() == [2, 2]


def test_redaction_placeholders_and_signatures_do_not_make_comments_similar():
    sig = "\n\nZ poważaniem\n[OSOBA]\n[EMAIL]\n[TELEFON]\nStowarzyszenie Przyjaciół Oruni, ul. [ADRES]"
    out = run(["Proszę o dłuższe terminy rozliczeń dotacji." + sig,
               "Wnoszę o zwiększenie puli na wkład własny." + sig])
    assert out["cluster_size"].tolist() == [1, 1]


def test_a_chain_of_near_duplicates_is_not_merged_end_to_end():
    # Comment i holds sentences i..i+7 of a sequence: neighbours overlap 7/8, the chain's ends share nothing.
    # Threshold-and-union-find would make one cluster of all 12; every member must verify against its rep.
    rng = np.random.default_rng(3)
    letters = list("abcdefghijklmnoprstuwyz")
    sentences = [" ".join("".join(rng.choice(letters, size=6)) for _ in range(10)) + "." for _ in range(20)]
    out = run([" ".join(sentences[i : i + 8]) for i in range(12)])
    assert out["cluster_size"].max() < 12
    for _, group in out.groupby("cluster_id"):
        first, last = group.index.min(), group.index.max()
        assert last - first <= 4  # sharing at most 3 of 8 sentences is never enough


def test_keys_from_the_row_wise_stage_on_chunks_give_the_same_clusters(gdansk_dev):
    """The cores and signatures `cluster_keys` computes chunk by chunk (in the worker processes) cluster the batch
    exactly as the stage alone does, and leave no internal column behind."""
    corpus = make_corpus(2000, seed=5, sample=[r["text"] for r in gdansk_dev]).frame
    corpus.loc[::97, "status"] = "pusta"
    keyed = pd.concat([cluster_keys(corpus.iloc[lo:lo + 700], CFG) for lo in range(0, len(corpus), 700)])
    out = cluster(keyed, CFG)
    assert not set(KEY_COLUMNS) & set(out.columns)
    assert (out["cluster_size"] > 1).sum() > 500
    pd.testing.assert_frame_equal(out, cluster(corpus, CFG))


def test_keys_without_the_texts_read_only_the_texts_of_candidate_pairs(gdansk_dev):
    """A spilled run gives clustering the keys but not the texts: it reads `text_clean` of only the units that may
    form clusters, never of a comment alike to no other, and finds the same clusters."""
    corpus = make_corpus(1500, seed=7, sample=[r["text"] for r in gdansk_dev]).frame
    whole = cluster(corpus, CFG)
    read: list[int] = []

    def reader(column: str, rows: np.ndarray) -> pd.Series:
        read.extend(rows.tolist())
        return pd.Series(corpus[column].iloc[rows].to_numpy(), index=rows)

    keyed = cluster_keys(corpus, CFG).drop(columns="text_clean")
    with reading_from(reader):
        out = cluster(keyed, CFG)
    pd.testing.assert_frame_equal(out, whole.drop(columns="text_clean"))
    alone = np.flatnonzero((whole["cluster_size"] == 1).to_numpy())
    assert 0 < len(read) < len(corpus) and len(alone) > 100
    assert len(set(read) & set(alone.tolist())) < len(alone) / 10
    with pytest.raises(MissingColumnsError, match="text_clean"):
        cluster(keyed, CFG)


def test_a_big_batch_in_slices_reads_the_texts_in_row_order_and_gives_the_same_clusters(gdansk_dev, monkeypatch):
    """Clustering a big batch holds a slice at a time (texts read, pairs verified, clusters given their texts back):
    in slices far smaller than the batch it finds the same clusters and reads the texts in row order, twice at most
    (so a spilled run reads each part file about twice, not once per slice)."""
    corpus = make_corpus(1500, seed=7, sample=[r["text"] for r in gdansk_dev]).frame
    # Without the folded cores kept (a night's stored keys): the paired units' texts are read and folded again.
    keyed = cluster_keys(corpus, CFG).drop(columns=["text_clean", FOLDED_COLUMN])
    reads: list[np.ndarray] = []

    def reader(column: str, rows: np.ndarray) -> pd.Series | None:
        if column not in corpus.columns:
            return None
        reads.append(rows)
        return pd.Series(corpus[column].iloc[rows].to_numpy(), index=rows)

    with reading_from(reader):
        whole = cluster(keyed, CFG)
    stage = sys.modules[cluster.__module__]
    for name, size in (("_READ_UNITS", 60), ("_VERIFY_PAIRS", 50), ("_ADDED_UNITS", 40)):
        monkeypatch.setattr(stage, name, size)
    reads.clear()
    with reading_from(reader):
        out = cluster(keyed, CFG)
    pd.testing.assert_frame_equal(out, whole)
    assert (out["cluster_size"] > 1).sum() > 400
    assert len(reads) > 10 and max(len(r) for r in reads) <= 60
    rows = np.concatenate(reads)
    assert np.count_nonzero(np.diff(rows) < 0) <= 1


def test_kept_folded_cores_are_read_not_folded_again(gdansk_dev, monkeypatch):
    """Where the engine keeps `cluster_keys`' folded cores (a spilled run's part files), clustering reads those of the
    units in a candidate pair instead of folding their texts again, reads the texts once (for what members add),
    and finds the same clusters."""
    corpus = make_corpus(1500, seed=7, sample=[r["text"] for r in gdansk_dev]).frame
    whole = cluster(corpus, CFG)
    keyed = cluster_keys(corpus, CFG)
    reads: list[str] = []

    def reader(column: str, rows: np.ndarray) -> pd.Series:
        reads.append(column)
        return pd.Series(keyed[column].iloc[rows].to_numpy(), index=rows)

    def folding(text: str) -> str:
        raise AssertionError("a text folded again")

    monkeypatch.setattr(sys.modules[cluster.__module__], "folded_core", folding)
    with reading_from(reader):
        out = cluster(keyed.drop(columns=["text_clean", FOLDED_COLUMN]), CFG)
    pd.testing.assert_frame_equal(out, whole.drop(columns="text_clean"))
    assert (out["cluster_size"] > 1).sum() > 400
    assert reads == [FOLDED_COLUMN, "text_clean"]


def test_empty_input_gives_empty_tables():
    out = cluster(frame([]), CFG)
    assert len(out) == 0 and "cluster_id" in out
    assert cluster_table(out).empty


def test_error_and_empty_rows_stay_unique():
    out = run([TEMPLATE, TEMPLATE, TEMPLATE, ""], status=["do analizy", "błąd", "do analizy", "pusta"])
    assert list(out["cluster_id"]) == ["c0", "c1", "c0", "c3"]
    assert list(out["cluster_role"]) == [ROLE_REPRESENTATIVE, ROLE_UNIQUE, ROLE_MEMBER, ROLE_UNIQUE]


def test_appending_comments_keeps_cluster_ids(gdansk_dev):
    df = frame([clean_text(r["text"]) for r in gdansk_dev])
    head = cluster(df.iloc[:300], CFG)["cluster_id"]
    whole = cluster(df, CFG)["cluster_id"].iloc[:300]
    # A cluster id may change only where the later comments merged two earlier clusters.
    merged = whole.map(pd.Series(head.values, index=whole.values).groupby(level=0).nunique()) > 1
    assert (head == whole)[~merged].all()
    assert (head != whole).sum() <= 3


def test_cluster_table():
    out = run([TEMPLATE, TEMPLATE + " Dodaję od siebie prośbę o szybką decyzję w tej sprawie.", OTHER_LETTER,
               TEMPLATE.lower()], label=["a", "a", "b", "c"])
    table = cluster_table(out)
    assert table.columns.tolist() == ["cluster_id", "kind", "size", "representative_id", "template", "labels"]
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["cluster_id"], row["kind"], row["size"], row["representative_id"]) == ("c0", "kampania", 3, "c0")
    assert row["template"].startswith("Jako mieszkańcy Gdańska") and "Dodaję" not in row["template"]
    assert row["labels"] == "a: 2; c: 1"


# ---------------------------------------------------------------------------------------------------- quality


def test_quality_on_gdansk_dev(gdansk_dev):
    df = frame([clean_text(r["text"]) for r in gdansk_dev])
    truth = [r["campaign"] or r["id"] for r in gdansk_dev]
    out = cluster(df, CFG)
    precision, recall, _ = pair_scores(truth, out["cluster_id"])
    assert precision >= 0.99
    assert recall >= 0.97
    assert bcubed_f1(truth, out["cluster_id"]) >= 0.99


def test_lodz_residents_filing_one_description_for_many_streets_are_grouped(lodz_proposals: Path):
    data = pd.read_csv(lodz_proposals)
    df = pd.DataFrame({"comment_id": data["id"], "text_clean": [clean_text(t) for t in data["opis"].fillna("")]})
    out = cluster(df, CFG)
    folded = df["text_clean"].map(fold)
    same = folded.duplicated(keep=False)
    assert same.sum() > 50
    # Every set of identical descriptions is one cluster.
    assert (out[same].groupby(folded[same])["cluster_id"].nunique() == 1).all()
    # The "Zielona ul. ..." proposals: two descriptions, each filed for many streets with small edits.
    green = out[data["nazwa"].str.startswith("Zielona ul.")]
    opening = data.loc[green.index, "opis"].str[:60]
    assert green.groupby(opening)["cluster_id"].nunique().max() == 1
    assert green["cluster_id"].nunique() <= 3
    assert (out["cluster_size"] > 1).sum() < len(out) / 3


def test_scale_precision_holds_on_a_synthetic_corpus(gdansk_dev):
    corpus = make_corpus(30_000, seed=7, sample=[r["text"] for r in gdansk_dev])
    out = cluster(corpus.frame, CFG)
    precision, recall, _ = pair_scores(corpus.truth, out["cluster_id"])
    assert precision >= 0.99
    assert recall >= 0.95
