from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.clean import detect_language, strip_diacritics
from pipeline.polish import Analysis, analyze, get_nlp, lemmatize_words
from pipeline.sentences import abbreviations, split_sentences
from pipeline.vocabulary import PLACEHOLDERS

GOLD = Path(__file__).parent / "data" / "lemma_gold.tsv"
_WORD = re.compile(r"^(?=.*[^\W\d_])\D+$")  # a letter and no digit: the tokens the gold file lists


def _gold() -> list[tuple[str, list[tuple[str, set[str]]]]]:
    """(sentence text, [(token, accepted lemmas)]) in file order."""
    sentences_: list[tuple[str, list[tuple[str, set[str]]]]] = []
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line.startswith("# text = "):
            sentences_.append((line.removeprefix("# text = "), []))
        elif line and not line.startswith(("#", "sent_id")):
            _, token, lemma = line.split("\t")
            sentences_[-1][1].append((token, set(lemma.split("|"))))
    return sentences_


def _accuracy(lemmatizer: str, without_diacritics: bool) -> float:
    gold = _gold()
    texts = [strip_diacritics(text) if without_diacritics else text for text, _ in gold]
    correct = total = 0
    for analysis, (_, rows) in zip(analyze(texts, lemmatizer=lemmatizer), gold):
        words = [(t, lemma) for t, lemma in zip(analysis.tokens, analysis.lemmas) if _WORD.match(t)]
        expected = [strip_diacritics(t) if without_diacritics else t for t, _ in rows]
        # A tokenization difference is a failure of its own, not a silent misalignment.
        assert [t for t, _ in words] == expected
        correct += sum(lemma in accepted for (_, lemma), (_, accepted) in zip(words, rows))
        total += len(rows)
    assert total >= 300
    return correct / total


@pytest.mark.parametrize(("without_diacritics", "minimum"), [(False, 0.95), (True, 0.93)])
def test_default_lemmatizer_meets_accuracy_on_gold(without_diacritics: bool, minimum: float) -> None:
    assert _accuracy("simplemma", without_diacritics) >= minimum


def test_morfeusz2_backend_is_usable_behind_the_same_interface() -> None:
    assert _accuracy("morfeusz2", without_diacritics=False) >= 0.93


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ul. Długa 5", ["ul.", "Długa", "5"]),
        ("art. 19a ust. 2 pkt 3", ["art.", "19a", "ust.", "2", "pkt", "3"]),
        ("m.in. szkoły, tj. placówki", ["m.in.", "szkoły", ",", "tj.", "placówki"]),
        ("(Dz.U. z 2023 r. poz. 571)", ["(", "Dz.U.", "z", "2023", "r.", "poz.", "571", ")"]),
        ("Art. 5 stanowi", ["Art.", "5", "stanowi"]),
        ("dnia 15.03.2024 o 17:30.", ["dnia", "15.03.2024", "o", "17:30", "."]),
        ("kwota 1.200.000 zł", ["kwota", "1.200.000", "zł"]),
        ("kwota 1 200 000 zł", ["kwota", "1 200 000", "zł"]),
        ("12,5% budżetu", ["12,5", "%", "budżetu"]),
        ("w latach 2022-2023", ["w", "latach", "2022", "-", "2023"]),
        ("NGO-sów i e-mail", ["NGO-sów", "i", "e-mail"]),
        ("współpraca polsko-ukraińska", ["współpraca", "polsko-ukraińska"]),
        ("dane – ważne", ["dane", "–", "ważne"]),
        ("„brak środków”.", ["„", "brak", "środków", "”", "."]),
        ("https://www.gdansk.pl/konsultacje?id=5", ["https://www.gdansk.pl/konsultacje?id=5"]),
        ("Kontakt: [EMAIL], [TELEFON].", ["Kontakt", ":", "[EMAIL]", ",", "[TELEFON]", "."]),
        ("([NR_KONTA]) i [ADRES]", ["(", "[NR_KONTA]", ")", "i", "[ADRES]"]),
        ("Pan [OSOBA] z [KOD_POCZTOWY]", ["Pan", "[OSOBA]", "z", "[KOD_POCZTOWY]"]),
    ],
)
def test_tokenizer_keeps_tricky_strings_whole(text: str, expected: list[str]) -> None:
    assert analyze([text])[0].tokens == tuple(expected)


def test_every_placeholder_is_one_token_and_never_content() -> None:
    text = "Proszę o kontakt: " + ", ".join(PLACEHOLDERS.values()) + "."
    analysis = analyze([text])[0]
    assert all(p in analysis.tokens for p in PLACEHOLDERS.values())
    assert analysis.content == ("prosić", "kontakt")


ONE_SENTENCE = [
    "Zgłaszam uwagę do § 5 ust. 1 pkt 2 projektu programu.",
    "Proponujemy zmianę zapisu w art. 19a ustawy (Dz.U. z 2022 r. poz. 1327 z późn. zm.).",
    "Spotkanie odbyło się 15.03.2024 r. o godz. 17.30 w siedzibie przy ul. Długiej 5.",
    "Na małe granty przeznaczono ok. 1.200.000 zł, tj. mniej niż w 2022 r. w tym obszarze.",
    "Wnioskujemy m.in. o wsparcie świetlic, np. na Oruni, w Nowym Porcie itp. miejscach.",
    "Prof. J. Kowalski z Uniwersytetu Gdańskiego przygotował ekspertyzę dla NGO-sów.",
    "W 3. kwartale 2023 r. środki wyczerpały się już we wrześniu.",
    "Cytujemy zapis: „organizacje składają sprawozdania raz w roku”, który popieramy.",
    "Kontakt w sprawie uwag: [OSOBA], tel. [TELEFON], e-mail [EMAIL].",
    "Organizacje z woj. pomorskiego, w tym z m.st. Warszawy, też mogą składać oferty.",
    "Czy tzw. wkład własny może być wniesiony w formie pracy wolontariuszy?",
    "Dziękujemy za możliwość zgłoszenia uwag!",
    "bez zmian",
    "Popieram w całości",
]


@pytest.mark.parametrize("text", ONE_SENTENCE)
def test_one_sentence_input_gives_one_sentence(text: str) -> None:
    assert split_sentences(text) == [text]


def test_sentences_split_at_real_boundaries() -> None:
    text = (
        "Popieramy projekt. Środki wzrosły o 10 tys. zł w 2023 r. Organizacje to doceniają!\n"
        "Dotyczy: § 6 ust. 2\n\n1. Proponujemy zmiany. 2. Prosimy o odpowiedź."
    )
    assert split_sentences(text) == [
        "Popieramy projekt.",
        "Środki wzrosły o 10 tys. zł w 2023 r.",
        "Organizacje to doceniają!",
        "Dotyczy: § 6 ust. 2",
        "1. Proponujemy zmiany.",
        "2. Prosimy o odpowiedź.",
    ]


def test_the_tokenizer_and_the_splitter_read_one_abbreviation_list() -> None:
    # Every abbreviation the tokenizer keeps whole: one token, and a full stop that ends no sentence unless the list
    # says it may ("w 2023 r. Jesteśmy").
    for abbr, entry in abbreviations().items():
        text = f"Uwaga do {abbr} Kowalskiego."
        assert abbr in analyze([text])[0].tokens
        assert len(split_sentences(text)) == (2 if entry.ends_sentence else 1), abbr


def test_no_dev_sentence_ends_at_a_mid_sentence_abbreviation(gdansk_dev: list[dict]) -> None:
    mid_sentence = re.compile(r"(?:^|[\s(])(?:ul|art|ust|tj|np|m\.in|tzw|godz|ok|pkt|poz|Dz\.U)\.$", re.IGNORECASE)
    # Line breaks end sentences anyway ("– do 10 pkt.\n7) ..."); look inside each line.
    lines = [line for row in gdansk_dev for line in row["text"].splitlines()]
    ends = [s for line in lines for s in split_sentences(line)[:-1] if mid_sentence.search(s)]
    assert ends == []


@pytest.mark.parametrize("lemmatizer", ["simplemma", "morfeusz2"])
def test_verbal_nouns_share_one_lemma_across_cases(lemmatizer: str) -> None:
    # Keyword "wsparcie" must meet "wsparcia" in a comment, and "zostanie" is still the verb "zostać".
    lemmas = analyze(["wsparcie wsparcia działanie działań zgłoszenie zgłoszeniu zostanie"], lemmatizer)[0].lemmas
    assert lemmas == ("wsparcie",) * 2 + ("działanie",) * 2 + ("zgłoszenie",) * 2 + ("zostać",)


def test_stop_words_keep_negation_and_stance() -> None:
    analysis = analyze(["Nie popieramy tego, bo bez zmian będzie źle, a trzeba działać dobrze."])[0]
    assert {"nie", "bez", "źle", "trzeba", "dobrze"} <= set(analysis.content)
    assert not {"ten", "bo", "być", "a"} & set(analysis.content)


def test_content_drops_numbers_punctuation_urls_and_abbreviations() -> None:
    analysis = analyze(["Zob. art. 5 i 19a, np. https://gdansk.pl – 1.200.000 zł!"])[0]
    assert analysis.content == ("artykuł", "złoty")


def test_comments_typed_without_polish_letters_are_restored_before_lemmatizing() -> None:
    plain = analyze(["Srodki na wspolprace z organizacjami pozarzadowymi sa za male."])[0]
    assert {"współpraca", "organizacja", "pozarządowy", "być", "mały"} <= set(plain.lemmas)
    assert plain.lemmas[0] in {"środek", "środki"}
    # One Polish letter anywhere means the writer uses them: the words are taken as written.
    mixed = analyze(["Sad owocowy przy szkole – żadnych uwag."])[0]
    assert mixed.lemmas[0] == "sad"


def test_analysis_fields_line_up() -> None:
    analysis = analyze(["Współpraca z NGO-sami w Gdańsku, ul. Długa [ADRES]."])[0]
    assert isinstance(analysis, Analysis)
    assert len(analysis.tokens) == len(analysis.lemmas) == len(analysis.folded)
    assert analysis.folded == tuple(strip_diacritics(lemma) for lemma in analysis.lemmas)
    assert all(lemma == lemma.lower() for lemma in analysis.lemmas)
    assert analysis.lemmas[:6] == ("współpraca", "z", "ngo", "w", "gdańsk", ",")


def test_missing_texts_give_empty_analyses() -> None:
    empty = Analysis((), (), (), ())
    assert analyze([None, math.nan, "", "  \n "]) == [empty] * 4  # type: ignore[list-item]


def test_backends_are_cached_and_unknown_backend_is_rejected() -> None:
    assert get_nlp("simplemma") is get_nlp("simplemma")
    assert get_nlp("morfeusz2").get_pipe("pl_lemmatizer").backend == "morfeusz2"
    with pytest.raises(ValueError, match="simplemma"):
        get_nlp("stempel")


def test_lemmatize_words_handles_keyword_phrases_without_restoring() -> None:
    assert lemmatize_words(["organizacje pozarządowe", "małe granty", "NGO-sów", "sad"]) == [
        "organizacja pozarządowy",
        "mały grant",
        "ngo",
        "sad",
    ]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcząęłóśżź ABCŁŻ.,-:;!?()[]„”/\n0123456789")), max_size=80))
def test_tokens_cover_every_character_of_the_text(text: str) -> None:
    analysis = analyze([text])[0]
    assert "".join(analysis.tokens) == re.sub(r"\s+", "", text)
    assert len(analysis.tokens) == len(analysis.lemmas) == len(analysis.folded)


def test_a_batch_of_texts_is_analysed_as_each_text_alone() -> None:
    # Neighbours in a batch must not leak into each other: a text ending mid-sentence or typed with Polish letters
    # does not decide whether the next one's first word opens a sentence or whether its letters are restored.
    texts = ["Bez sensu, ludzie", "Ludzie mowia, ze srodki sa za male.", "", "Bez uwag.\n\nLudzie. Sad owocowy",
             "Współpraca z NGO-sami w Gdańsku – żadnych uwag", "Srodki na wspolprace z organizacjami"]
    alone = [analyze([text])[0] for text in texts]
    assert analyze(texts, batch_size=len(texts)) == alone
    assert analyze(texts, batch_size=2) == alone
    assert alone[1].lemmas[0] == "człowiek" and alone[1].content[-1] == "mały"  # restored, and opens a sentence
    assert [token.lemma_ for token in get_nlp()("Bez sensu, ludzie")] == list(alone[0].lemmas)


def test_lemmas_written_into_documents_are_those_analyze_reads_from_the_tokens_hashes() -> None:
    # `analyze` builds no documents: it reads the cases from the tokenizer's ORTH hashes (`lemma_cases`); the spaCy
    # component writes the same cases into the documents it is given.
    import numpy

    texts = ["Bez sensu, ludzie", "Srodki na wspolprace z organizacjami", "", "Współpraca z NGO-sami w Gdańsku."]
    nlp = get_nlp()
    component = nlp.get_pipe("pl_lemmatizer")
    docs = [nlp.make_doc(t) for t in texts]
    orths, sizes, _ = nlp.tokenizer.orths(texts)
    from_hashes = component.lemma_cases(orths, sizes, lambda k: detect_language(texts[k]))
    for a, b in zip(component.set_lemmas(docs), from_hashes):
        assert numpy.array_equal(a, b)
    assert [t.lemma_ for t in docs[0]] == ["bez", "sens", ",", "człowiek"]


def test_a_long_lived_process_forgets_word_forms_past_the_bound_and_analyses_as_before(monkeypatch) -> None:
    # A worker reads a million comments: the pipeline's vocabulary and caches must not grow with every new spelling,
    # whether the tokenizer splits it ("słowo7") or the table of pieces keeps it as a word of letters ("drzewahi").
    import pipeline.polish as polish

    def letters(n: int) -> str:
        return "".join("abcdefghij"[int(digit)] for digit in str(n))

    texts = [f"Wniosek {n} o zmianę planu: słowo{n} i drzewa{letters(n)} przy ulicy Długiej {n}." for n in range(300)]
    get_nlp.cache_clear()
    vocab = get_nlp("simplemma").vocab
    lexemes, strings = len(vocab), len(vocab.strings)  # the tokenizer's exceptions and special cases
    before = analyze(texts)
    monkeypatch.setattr(polish, "MAX_FORMS", 100)
    sizes, after = [], []
    for lo in range(0, len(texts), 20):
        after += analyze(texts[lo:lo + 20])
        nlp = get_nlp("simplemma")
        sizes.append((nlp.get_pipe("pl_lemmatizer").forms_met(), len(nlp.vocab) - lexemes,
                      len(nlp.vocab.strings) - strings))
    assert after == before
    # The bound plus one call's new forms (3 a text), never the 900 new forms of all the texts (1,000 strings).
    forms, new_lexemes, new_strings = map(max, zip(*sizes))
    assert forms < 200 and new_lexemes < 200 and new_strings < 300


_FORMS = ["Bez", "bez", "sensu", "Ludzie", "ludzie", "mowia", "mówią", "srodki", "Środki", "sa", "za", "male",
          "NGO-sów", "Sad", "sad", "owocowy", "ul.", "[OSOBA]", ".", ",", "?", "\n", "12"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_FORMS), max_size=12).map(" ".join), min_size=2, max_size=8),
       st.sampled_from(["pl", "en"]))
def test_lemma_cases_looked_up_by_hash_are_those_of_a_fresh_lemmatizer(texts: list[str], lang: str) -> None:
    # The component keeps each case's lemma by its form's hash and kind (opening a sentence, restored): a form met
    # before in one kind and now in another must get the other kind's lemma, as a lemmatizer meeting it first would.
    import numpy

    from pipeline.polish import PolishLemmatizer

    nlp = get_nlp()
    component = nlp.get_pipe("pl_lemmatizer")
    component.lemma_cases(*nlp.tokenizer.orths(texts[:len(texts) // 2])[:2], lambda k: "pl")
    orths, sizes, _ = nlp.tokenizer.orths(texts)
    warm = component.lemma_cases(orths, sizes, lambda k: lang)
    fresh = PolishLemmatizer(nlp, "fresh", "simplemma", True).lemma_cases(orths, sizes, lambda k: lang)
    for a, b in zip(warm, fresh):
        assert numpy.array_equal(a, b)


def test_forms_numbered_as_met_keep_their_lemmas_and_analyses_over_many_batches() -> None:
    # Each form is numbered when first met and found again by a search of the sorted hashes: past the tables' first
    # 1,024 forms, in batches that meet new forms among old ones in any order of hashes, every token's lemma and
    # analysis are the ones a fresh lemmatizer gives the batch.
    import numpy

    from pipeline.polish import PolishLemmatizer

    nlp = get_nlp()
    numbered = PolishLemmatizer(nlp, "numbered", "simplemma", True)
    forms = ["".join("abcdefghij"[int(digit)] for digit in str(n)) for n in range(3_000)]
    for lo in range(0, 3_000, 600):
        texts = [" ".join(forms[lo:lo + 900]), " ".join(reversed(forms[:lo + 100])), " ".join(_FORMS),
                 "Srodki sa male. Ludzie mowia bez sensu"]
        orths, sizes, words = nlp.tokenizer.orths(texts)
        lemmas = [lemma_of_case[case_of] for case_of, _, lemma_of_case in (
            lemmatizer.lemma_cases(orths, sizes, lambda k: "pl")
            for lemmatizer in (numbered, PolishLemmatizer(nlp, "fresh", "simplemma", True)))]
        assert numpy.array_equal(*lemmas)
        tokens = numbered.tokens(orths, sizes, words, lambda k: "pl")
        cuts = numpy.cumsum(sizes)[:-1]
        strings = nlp.vocab.strings
        assert list(map(list, map(zip, tokens.per_text(tokens.text), tokens.per_text(tokens.lemma)))) == [
            [(strings[orth], strings[lemma]) for orth, lemma in zip(text_orths.tolist(), text_lemmas.tolist())
             if not strings[orth].isspace()]
            for text_orths, text_lemmas in zip(numpy.split(orths, cuts), numpy.split(lemmas[1], cuts))]
    assert numbered.forms_met() > 3_000
