"""Triage: final status, priority for staff and cited provisions, as the people answering comments rely on them."""

from __future__ import annotations

import csv
import importlib
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.clean import clean_text, fold, fold_split, windows_1250
from pipeline.config import Config, TriageConfig
from pipeline.errors import UserError
from pipeline.provisions import UNITS, ProvisionFinder
from pipeline.triage import (
    PhraseSet, load_rules, rules_from_dict, text_findings, triage, triage_with, unreadable_reason,
)

triage_module = importlib.import_module("pipeline.triage")  # the package's name `triage` is the stage
provisions_module = importlib.import_module("pipeline.provisions")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zmiana w §5 ust.2 pkt 3 projektu", ["§ 5 ust. 2 pkt 3"]),
        ("dotyczy par. 5 ust. 2", ["§ 5 ust. 2"]),
        ("tryb art.19a ustawy", ["art. 19a"]),
        ("tryb art. 19 a ustawy", ["art. 19a"]),
        ("w ust. 1 pkt 2 lit. b) należy", ["ust. 1 pkt 2 lit. b"]),
        ("w rozdziale IV programu", ["rozdział IV"]),
        ("w punkcie 3 i punkcie 4", ["pkt 3", "pkt 4"]),
        ("§ 8 i § 9 projektu", ["§ 8", "§ 9"]),
        ("§ 5 ust. 1 i 2", ["§ 5 ust. 1", "§ 5 ust. 2"]),
        ("art. 19a lub art. 11a ustawy", ["art. 19a", "art. 11a"]),
        # order of appearance, each once
        ("§ 10 ust. 4 odsyła do „§ 8 ust. 5”, więc § 10 ust. 4 poprawić", ["§ 10 ust. 4", "§ 8 ust. 5"]),
        ("art. 19 a także art. 11", ["art. 19", "art. 11"]),  # "a" is the conjunction here
    ],
)
def test_citations_are_normalised(text: str, expected: list[str]) -> None:
    assert ProvisionFinder().find(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Zebranie 15.03.2024 r., kwota 12 zł, wzrost o 2,5%",
        "Dostaliśmy 45 pkt. 3 lata temu było lepiej",
        "pkt 15.03 i ust. 2023 r.",
        "punkty pomocy żywnościowej w rozdziale o finansach",
    ],
)
def test_dates_amounts_and_plain_words_are_not_provisions(text: str) -> None:
    assert ProvisionFinder().find(text) == []


@settings(max_examples=200, deadline=None)
@given(unit=st.sampled_from(["§", "§ 5 ust.", "art.", "ust.", "pkt", "par."]),
       day=st.integers(1, 31), month=st.integers(1, 12), year=st.integers(1990, 2030), amount=st.integers(1, 999),
       tail=st.sampled_from(["zł", "tys. zł", "mln zł", "%", "r.", "roku", "osób"]))
def test_dates_and_amounts_after_a_unit_never_become_its_number(unit: str, day: int, month: int, year: int,
                                                                   amount: int, tail: str) -> None:
    finder = ProvisionFinder()
    for text in (f"{unit} {day}.{month:02d}.{year} r.", f"{unit} {amount} {tail}", f"{unit} {amount},5 {tail}"):
        assert finder.find(text) == finder.find(unit), text  # only what the unit itself cites ("§ 5"), if anything


def _searching_every_character(units: tuple[str, ...] = UNITS) -> ProvisionFinder:
    """A finder whose citations start wherever one of the spellings matches, tried at every character."""
    finder = ProvisionFinder(units)
    spellings = "|".join(alternative for unit in units for alternative in provisions_module._SPELLINGS[unit])
    object.__setattr__(finder, "_start", re.compile(f"({spellings})", re.IGNORECASE))
    return finder


_CITATION_PARTS = ["§", "§§", "par.", "Paragrafie", "art", "ART.", "artykułu", "ust", "Ustęp", "pkt", "PUNKTU",
                   "punkcie", "lit", "litera", "rozdz.", "Rozdziale", " ", "  ", "5", "19a", "IV", "b)", ",", " i ",
                   "x", "_", "2023 r."]


@settings(max_examples=500, deadline=None)
@given(parts=st.lists(st.sampled_from(_CITATION_PARTS), max_size=14),
       units=st.sampled_from([UNITS, ("pkt",), ("§", "lit."), ("rozdział", "art.")]))
def test_citations_start_where_a_search_at_every_character_starts_them(parts: list[str], units: tuple[str, ...]
                                                                      ) -> None:
    text = "".join(parts)
    assert ProvisionFinder(units).find(text) == _searching_every_character(units).find(text)


@pytest.mark.parametrize("text", ["5 §§ 3", "5§§5 i §§ 6", "45 pkt. 3 lata, pkt 4", "artykułu x, art. 7",
                                  "§§ x 5", "uſt. 5 i PKT 3", "dopart. 5 apkt 3 x§ 4 _art 5 (art. 6)"])
def test_citations_of_edge_cases_are_those_of_the_search_at_every_character(text: str) -> None:
    assert ProvisionFinder().find(text) == _searching_every_character().find(text)


def test_a_unit_is_found_whatever_the_case_of_its_first_letter() -> None:
    # The fast search scans for the first characters with every case written out: each character that matches
    # one under IGNORECASE (in all of Unicode) must start a citation as the plain search starts it.
    spellings = [a.removeprefix(r"\b") for unit in UNITS for a in provisions_module._SPELLINGS[unit]]
    firsts = "".join(sorted({a[0] for a in spellings}))
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    variants = re.findall(f"(?i)[{re.escape(firsts)}]", every)
    assert len(variants) > len(firsts)  # upper and lower case at least
    words = {"§": "§ 5", "a": "art. 5", "l": "lit. b", "p": "pkt 5", "r": "rozdz. 5", "u": "ust. 5"}
    assert set(words) == set(firsts.lower())
    fast, slow = ProvisionFinder(), _searching_every_character()
    for variant in variants:
        for key, word in words.items():
            if re.fullmatch(f"(?i){re.escape(key)}", variant):
                text = f"w {variant}{word[1:]} i ({variant}{word[1:]})"
                assert fast.find(text) == slow.find(text) != [], text


def _frame(rows: list[dict]) -> pd.DataFrame:
    base = {"status": "do analizy", "error": "", "lang": "pl", "label": "finansowanie", "needs_review": False,
            "cluster_size": 1, "cluster_role": "unikalna"}
    df = pd.DataFrame([base | r for r in rows])
    if "cluster_id" not in df:
        df["cluster_id"] = df["comment_id"]
    return df


def _by_id(out: pd.DataFrame) -> dict[str, dict]:
    return {r["comment_id"]: r for r in out.to_dict("records")}


def test_statuses_follow_the_documented_precedence() -> None:
    df = _frame([
        {"comment_id": "err", "text_clean": "", "status": "błąd", "error": "wiersz ma 5 pól, a nagłówek 3"},
        {"comment_id": "empty", "text_clean": "", "status": "pusta"},
        # junk sent twice is grouped by clustering, but it is still junk, not a campaign
        {"comment_id": "j1", "text_clean": "asdf", "cluster_id": "j1", "cluster_size": 2,
         "cluster_role": "reprezentant", "label": "poza_zakresem"},
        {"comment_id": "j2", "text_clean": "asdf", "cluster_id": "j1", "cluster_size": 2, "cluster_role": "członek"},
        {"comment_id": "off", "text_clean": "Dziura w chodniku na Kartuskiej, proszę naprawić.",
         "label": "poza_zakresem"},
        # an unsure off-topic label goes to a person, not out of the analysis
        {"comment_id": "unsure-off", "text_clean": "Dziura w chodniku na Kartuskiej.", "label": "poza_zakresem",
         "needs_review": True},
        {"comment_id": "ok", "text_clean": "Więcej środków na małe granty dla organizacji."},
    ])
    out = _by_id(triage(df, Config()))
    assert {k: v["status"] for k, v in out.items()} == {
        "err": "błąd", "empty": "pusta", "j1": "nieczytelna", "j2": "nieczytelna", "off": "poza zakresem",
        "unsure-off": "do weryfikacji", "ok": "do analizy"}
    assert "wiersz ma 5 pól" in out["err"]["status_reason"]
    assert "nie jest pewny celu" in out["unsure-off"]["status_reason"]  # the goal itself has its own column
    assert {k: v["priority"] for k, v in out.items() if k not in ("ok", "unsure-off")} == dict.fromkeys(
        ["err", "empty", "j1", "j2", "off"], 3)


def test_campaign_members_point_to_their_campaign_and_representative_carries_its_size() -> None:
    template = "Popieramy wyższy wkład Miasta. Proponujemy zapis: „Miasto pokrywa wkład własny”."
    df = _frame(
        [{"comment_id": "A-0031", "text_clean": template, "cluster_size": 25, "cluster_role": "reprezentant",
          "cluster_id": "A-0031"}]
        + [{"comment_id": f"A-{100 + i}", "text_clean": template, "cluster_size": 25, "cluster_role": "członek",
            "cluster_id": "A-0031"} for i in range(3)]
        + [{"comment_id": "B-1", "text_clean": template, "cluster_size": 22, "cluster_role": "członek",
            "cluster_id": "B-0", "cluster_representative": "B-7"}]
    )
    out = _by_id(triage(df, Config()))
    rep, member = out["A-0031"], out["A-100"]
    assert rep["status"] == "do analizy" and rep["priority"] == 1
    assert "25 uwag" in rep["status_reason"] and "25 uwag" in rep["priority_reason"]
    assert member["status"] == "kampania" and member["priority"] == 3
    assert member["status_reason"] == "Członek kampanii A-0031 (25 uwag) – odpowiedź jak dla reprezentanta"
    assert out["B-1"]["status_reason"].startswith("Członek kampanii B-0 (22 uwagi)")
    assert out["B-1"]["status_reason"].endswith("reprezentanta B-7")


def test_text_findings_read_before_a_campaign_grew_decide_as_a_fresh_triage() -> None:
    """A nightly run keeps what triage read in each text; a campaign that grew is decided again from those."""
    template = "Popieramy wyższy wkład Miasta. Proponujemy zapis w § 5 ust. 2: „Miasto pokrywa wkład własny”."
    rows = [{"comment_id": f"A-{i}", "text_clean": template, "cluster_id": "A-0", "cluster_size": 3,
             "cluster_role": "reprezentant" if i == 0 else "członek"} for i in range(3)]
    rows += [{"comment_id": "junk", "text_clean": "asdf qwerty"}, {"comment_id": "empty", "text_clean": ""}]
    before = _frame(rows)
    rules = load_rules()
    found = [text_findings(row, rules) for row in before.to_dict("records")]
    grown = before.assign(cluster_size=[25, 25, 25, 1, 1])
    again, kept = triage_with(grown, Config(), found)
    pd.testing.assert_frame_equal(again, triage(grown, Config()))
    assert kept == found
    assert again["status_reason"].iloc[1].startswith("Członek kampanii A-0 (25 uwag)")
    assert list(again["status"].iloc[3:]) == ["nieczytelna", "pusta"]


@pytest.mark.parametrize(
    ("text", "priority", "reason_part"),
    [
        ("Proponujemy brzmienie: „Konkursy ogłasza się do 30 listopada”.", 1, "proponuje konkretny zapis"),
        ("PROPONUJE ZAPIS o corocznej ewaluacji programu", 1, "proponuje konkretny zapis"),  # no Polish letters
        ("Zapisy § 5 ust. 2 pkt 3 są niejasne.", 1, "§ 5 ust. 2 pkt 3"),
        ("Więcej pieniędzy na kulturę, bo jest ich za mało.", 2, "bez propozycji zapisu"),
    ],
)
def test_concrete_wording_or_a_citation_comes_first(text: str, priority: int, reason_part: str) -> None:
    out = triage(_frame([{"comment_id": "x", "text_clean": text}]), Config()).iloc[0]
    assert out["priority"] == priority
    assert reason_part in out["priority_reason"]


def test_stage_works_without_classifier_and_cluster_columns() -> None:
    df = pd.DataFrame({"comment_id": ["a", "b", "c"], "status": ["do analizy", "pusta", "do analizy"],
                       "error": ["", "", ""], "text_clean": ["Proponujemy zapis w § 6.", "", "qwerty"]})
    out = triage(df, Config())
    assert list(out["comment_id"]) == ["a", "b", "c"]
    assert list(out["status"]) == ["do analizy", "pusta", "nieczytelna"]
    assert list(out["priority"]) == [1, 3, 3]
    assert list(out["cited_provisions"]) == ["§ 6", "", ""]


def test_chunks_give_the_same_result_as_the_whole_table() -> None:
    df = _frame([{"comment_id": str(i), "text_clean": t} for i, t in enumerate(
        ["W § 5 ust. 1 dodać mikrodotacje.", "test", "Dobry program.", "Proponuję zapis o wolontariacie."] * 3)])
    whole = triage(df, Config())
    parts = pd.concat([triage(df.iloc[:5], Config()), triage(df.iloc[5:], Config())])
    pd.testing.assert_frame_equal(whole, parts)


@pytest.mark.parametrize(
    "text",
    ["test", "asdf", "xxxx", "qwerty 123", "sdfkjh sdkfjh lkjhg", "???",
     "Kup teraz viagra tanio!!! www.x.com", "kasyno online i bitcoin bez ryzyka",
     "https://a.pl/1 https://b.pl/2 https://c.pl/3 super oferta"],
)
def test_spam_and_junk_are_unreadable(text: str) -> None:
    assert unreadable_reason(text, load_rules()) is not None


@pytest.mark.parametrize(
    "text",
    ["Brak uwag.", "ok", "Popieram", "GRDPP?", "Nie", "Dziękuję za konsultacje",
     "Przekazujemy link do raportu: https://fundacja.pl/raport.pdf",
     "Test kompetencji dla koordynatorów wolontariatu byłby przydatny.",
     "Zadzwoń do urzędu, nikt nie odbiera – tak jest od miesięcy.",
     "Я хочу подякувати всім волонтерам у Гданську"],
)
def test_short_or_linked_real_comments_stay_readable(text: str) -> None:
    lang = "uk" if text.startswith("Я") else "pl"
    assert unreadable_reason(text, load_rules(), lang) is None


def test_rules_file_overrides_only_the_keys_it_sets(tmp_path: Path) -> None:
    rules = tmp_path / "reguly.toml"
    rules.write_text('[off_topic]\nlabels = ["inne_sprawy"]\n[priority]\ncampaign_members_priority_3 = false\n',
                     encoding="utf-8")
    cfg = Config().with_(triage=TriageConfig(rules=rules))
    df = _frame([
        {"comment_id": "a", "text_clean": "Remont chodnika na Kartuskiej.", "label": "inne_sprawy"},
        {"comment_id": "b", "text_clean": "Remont chodnika na Kartuskiej.", "label": "poza_zakresem"},
        {"comment_id": "c", "text_clean": "Proponujemy zapis o grantach.", "cluster_id": "x", "cluster_size": 2,
         "cluster_role": "członek"},
    ])
    out = _by_id(triage(df, cfg))
    assert out["a"]["status"] == "poza zakresem" and out["b"]["status"] == "do analizy"
    assert out["c"]["status"] == "kampania" and out["c"]["priority"] == 1
    assert load_rules(rules).spam_min_phrases == load_rules().spam_min_phrases  # untouched keys keep defaults


def test_rules_already_loaded_are_used_as_given() -> None:
    # A researcher tunes rules in Python and passes the object: no file, and the run still records what it used.
    rules = rules_from_dict({"off_topic": {"labels": ["inne_sprawy"]}})
    cfg = Config().with_(triage=TriageConfig(rules=rules))
    df = _frame([
        {"comment_id": "a", "text_clean": "Remont chodnika na Kartuskiej.", "label": "inne_sprawy"},
        {"comment_id": "b", "text_clean": "Remont chodnika na Kartuskiej.", "label": "poza_zakresem"},
    ])
    out = _by_id(triage(df, cfg))
    assert out["a"]["status"] == "poza zakresem" and out["b"]["status"] == "do analizy"
    assert cfg.to_dict()["triage"]["rules"]["off_topic_labels"] == ["inne_sprawy"]


@pytest.mark.parametrize(
    ("content", "message_part"),
    [
        ("[priority]\ncampaign_members_priority3 = true\n", "priority.campaign_members_priority3"),
        ("[spam]\nmin_phrases = \"dwa\"\n", "spam.min_phrases"),
        ("[nonsense]\nmin_real_word_share = 1.5\n", "nonsense.min_real_word_share"),
        ("[provisions]\nunits = [\"§\", \"zd.\"]\n", "provisions.units"),
        ("[kampania]\nx = 1\n", "[kampania]"),
        ("[spam\n", "TOML"),
    ],
)
def test_bad_rules_files_are_user_errors_naming_file_and_key(tmp_path: Path, content: str, message_part: str
                                                            ) -> None:
    rules = tmp_path / "reguly.toml"
    rules.write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_rules(rules)
    assert str(rules) in str(info.value) and message_part in str(info.value)


def test_dev_set_flags_only_off_topic_junk(gdansk_dev: list[dict]) -> None:
    rules = load_rules()
    flagged = {r["id"] for r in gdansk_dev if unreadable_reason(clean_text(r["text"]), rules, r["lang"])}
    gold = {r["id"]: r for r in gdansk_dev}
    assert all(gold[i]["primary_label"] == "poza_zakresem" and gold[i]["comment_type"] == "inne" for i in flagged)
    assert {r["id"] for r in gdansk_dev if r["campaign"] in ("DUP1", "DUP2")} <= flagged


def test_residents_proposals_are_never_unreadable(lodz_proposals: Path) -> None:
    with lodz_proposals.open(encoding="utf-8", newline="") as f:
        texts = [clean_text(f"{r['nazwa']}\n\n{r['opis']}") for r in csv.DictReader(f)]
    rules = load_rules()
    assert [t[:60] for t in texts if unreadable_reason(t, rules)] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kup teraz! Chwilówki, szybka pożyczkaaa i NOWE brzmienie § 2",
         ["kup teraz", "chwilówk*", "szybka pożyczka*", "nowe brzmienie"]),
        ("nowe brzmienie, potem kup teraz i znów nowe brzmienie", ["nowe brzmienie", "kup teraz"]),
        ("nowe brzmienia; kup terazz; xchwilówki; szybkie pożyczki", []),
        ("chwilowki", ["chwilówk*"]),
        ("", []),
    ],
)
def test_phrases_are_found_as_whole_words_in_order_of_appearance(text: str, expected: list[str]) -> None:
    phrases = PhraseSet(("nowe brzmienie", "chwilówk*", "kup teraz", "szybka pożyczka*"))
    assert phrases.find(fold(text)) == expected


# --- shortcuts: each only proves that nothing is there, so the findings stay those of the full search ----------

_EDGE_TEXTS = [
    "Raport: www.fundacja.pl", "WWW.Urzad.Gdansk/konsultacje", "HTTPS://example.org/a?b=1", "ftp://x.y",
    "plik raport.PDF", "adres x.Pl", "skrót np.pl.", "inf.INFO", "kasa.eu", "a.bız", "b.İnfo", "c.ınfo", "d.iO/x",
    "[EMAIL] i [TELEFON], [OSOBA] pisze: https://a.pl/1 https://b.pl/2 https://c.pl/3 super oferta",
    "W § 5 ust. 2 pkt 3 lit. b) i art. 19a; §§ 3 i 4; 5 §§ 3; 45 pkt. 3 lata; ARTYKUŁ 7, Ustęp 2, PUNKT 4",
    "rozdział IV, Rozdz. 2, paragraf 8 i 9, uſt. 5, pKt 3, LITERA c, dopart. 5, apkt 3, x§ 4, _art 5",
    "Kup teraz! Chwilówki, KASYNO i bitcoiny; praca w domu tanio; tylko dziś rabat; pożyczka bez bik",
    "Proponujemy brzmienie: „§ 3 otrzymuje brzmienie”; w brzmieniu; proponuje_zapis; wnosimy  o  dodanie",
    "test", "asdf qwerty", "NGO GRDPP xqzv brrk", "???", "", "xqzv brrk pfft mmm dom kot jest",
]


def _findings_of(texts: list[str]) -> list:
    rules = load_rules()
    return [text_findings({"text_clean": t, "lang": "pl"}, rules) for t in texts]


def test_findings_of_real_comments_are_those_of_the_search_without_shortcuts(gdansk_dev: list[dict],
                                                                            lodz_proposals: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with lodz_proposals.open(encoding="utf-8", newline="") as f:
        lodz = [clean_text(f"{r['nazwa']}\n\n{r['opis']}") for r in csv.DictReader(f)]
    texts = [clean_text(r["text"]) for r in gdansk_dev] + lodz + _EDGE_TEXTS
    fast = _findings_of(texts)
    assert sum(bool(f.citations) for f in fast) > 50 and sum(bool(f.phrases) for f in fast) > 5
    monkeypatch.setattr(triage_module, "_MAYBE_URL", re.compile(""))  # every text may hold a link
    monkeypatch.setattr(PhraseSet, "_may_hold", lambda self, folded, held: True)
    monkeypatch.setattr(triage_module, "_letter_bytes", lambda text, encoded: None)  # every text's words by `findall`
    assert _findings_of(texts) == fast


def test_the_plain_text_is_encoded_once_for_its_fold_and_its_letter_words(gdansk_dev: list[dict]) -> None:
    # The fold and the letter words read the bytes `_plain` encodes: those of the text without links and
    # placeholders, which both would otherwise encode for themselves.
    matchers = triage_module._matchers(load_rules())
    texts = [clean_text(r["text"]) for r in gdansk_dev] + _EDGE_TEXTS + ["Zażółć [OSOBA] gęślą 🙂 jaźń www.a.pl"]
    for text in texts:
        plain = triage_module._plain(text, matchers)
        alone = triage_module._strip_links(text)[1]
        assert (plain.text, plain.encoded) == (alone, windows_1250(alone))
        assert (plain.folded, plain.words) == fold_split(alone)
        words = triage_module._LetterWords(plain.text, plain.encoded)
        every = triage_module._LETTER_WORD.findall(alone)
        assert (words.count, words.lowered_head(len(every))) == (len(every), [w.lower() for w in every])


_URL_CHARS = list("htps:/.wW HTTPSplcomnetorgeuinfobizPLCOMIO-_[]§09 ıİſKx\n") + [
    "www.", "WwW.", "://", ".pl", ".PL", ".info", ".İnfo", ".bız", ".Eu"]


@settings(max_examples=500, deadline=None)
@given(text=st.lists(st.sampled_from(_URL_CHARS), max_size=30).map("".join))
def test_a_text_the_link_prefilter_passes_over_holds_no_link(text: str) -> None:
    if triage_module._URL.search(text):
        assert "://" in text or triage_module._MAYBE_URL.search(text), text


_PHRASE_WORDS = ["kup", "teraz", "nowe", "brzmienie", "brzmienia", "szybka", "pożyczkaaa", "pożyczka", "chwilówki",
                 "xchwilówki", "KUP", "Teraz", "w", "i", "tekst", "—", "_", "  "]


@settings(max_examples=500, deadline=None)
@given(words=st.lists(st.sampled_from(_PHRASE_WORDS), max_size=12))
def test_phrases_found_after_the_prefilter_are_those_of_the_whole_scan(words: list[str]) -> None:
    phrases = PhraseSet(("nowe brzmienie", "chwilówk*", "kup teraz", "szybka pożyczka*", "teraz"))
    folded = fold(" ".join(words))
    words_ = folded.split()
    # The caller may hand over only the words the phrases hold (`words_read`): the gate looks up no other.
    assert phrases.find(folded) == phrases.find(folded, words_) == phrases.find(folded, words_, set(words_)) \
        == phrases.find(folded, words_, phrases.words_read.intersection(words_)) == phrases._scan(words_)


_KNOWN, _UNKNOWN = ["dom", "jest", "program", "Miasto", "organizacje"], ["xqzv", "brrk", "ASDFG", "xqzvw"]


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(_KNOWN + _UNKNOWN + ["NGO", "GRDPP"]), min_size=1, max_size=40),
       lang=st.sampled_from(["pl", "en", "de"]))
def test_real_word_count_is_the_count_of_every_word_whatever_the_first_ones(words: list[str], lang: str) -> None:
    # The first words may prove a comment readable; an unreadable one still reports how many of all its words
    # are real, and a comment in a language without a word list is never judged.
    rules = load_rules()
    real = sum(w in _KNOWN or w in ("NGO", "GRDPP") for w in words)
    expected = real if lang != "de" and real < math.ceil(rules.nonsense_min_real_word_share * len(words)) else None
    text = " ".join(words)
    assert triage_module._real_words_below(triage_module._LetterWords(text, windows_1250(text)), rules, lang) == expected


# Every letter, digit and space character of Windows-1250, a few outside it, apostrophes and what joins them.
_WINDOWS_1250 = [c for c in (bytes([b]).decode("cp1250", "ignore") for b in range(256)) if c]
_WORD_PIECES = _WINDOWS_1250 + ["'", "’", "a'b", "Ł’ó", "İ", "ſ", "Σ", "ΑΣ ", "ß", "ǅ", "ж", "²", "_", "🙂",
                                "\u0301"]


@settings(max_examples=1000, deadline=None)
@given(text=st.lists(st.sampled_from(_WORD_PIECES), max_size=40).map("".join), n=st.integers(0, 45))
def test_letter_words_counted_and_lowered_as_far_as_needed_are_those_of_the_whole_findall(text: str, n: int) -> None:
    every = triage_module._LETTER_WORD.findall(text)
    words = triage_module._LetterWords(text, windows_1250(text))
    assert words.count == len(every)
    assert words.lowered_head(n) == [w.lower() for w in every[:n]]
    assert words.every() == every


def test_every_windows_1250_letter_is_lowered_and_counted_as_findall_does() -> None:
    letters = [c for c in _WINDOWS_1250 if re.fullmatch(r"[^\W\d_]", c)]
    assert len(letters) > 100 and "Ł" in letters and "ś" in letters
    text = " ".join(letters) + " " + "".join(letters) + "-" + "".join(reversed(letters))
    every = triage_module._LETTER_WORD.findall(text)
    words = triage_module._LetterWords(text, windows_1250(text))
    assert triage_module._letter_bytes(text, windows_1250(text)) is not None  # the shortcut's path
    assert (words.count, words.lowered_head(len(every))) == (len(every), [w.lower() for w in every])
