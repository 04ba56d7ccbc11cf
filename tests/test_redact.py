from __future__ import annotations

import random
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pii_corpus import KEEP, evaluate, make_account, make_nip, make_pesel, make_pii_corpus, make_regon
from pipeline.config import Config, NlpConfig
from pipeline.errors import UserError
from pipeline.redact.numbers import (
    is_valid_id_card, is_valid_nip, is_valid_nrb, is_valid_passport, is_valid_pesel, is_valid_regon, pesel_check_digit,
)
from pipeline.pii_columns import detect_pii_columns
from pipeline.redact import PLACEHOLDERS, find_pii, redact, redact_text

# --- checksums ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validator", "valid", "invalid"),
    [
        (is_valid_pesel, ["44051401359", "02270803624", "51042308461"], ["44051401358", "44135401359", "4405140135"]),
        (is_valid_nip, ["1234563218", "526-000-12-46", "PL 526-000-12-46", "526-00-01-246"],
         ["1234563217", "0123456789"]),
        (is_valid_regon, ["123456785", "12345678512347"], ["123456786", "12345678512346", "12345678"]),
        (is_valid_nrb, ["PL61 1090 1014 0000 0712 1981 2874", "61109010140000071219812874"],
         ["61109010140000071219812875"]),
        (is_valid_id_card, ["ABA300000", "ABA 300000"], ["ABA300001", "AB3000000", "ABA30000"]),
        (is_valid_passport, ["ZS0000177", "ZS 0000177"], ["ZS0000178", "Z00000177"]),
    ],
)
def test_checksum_validators_accept_real_and_reject_corrupted_numbers(validator, valid, invalid):
    assert all(validator(n) for n in valid)
    assert not any(validator(n) for n in invalid)


def test_pesel_rejects_impossible_birth_dates():
    # 30 February 1999 with a correct check digit is still not a PESEL.
    body = "9902300001"
    assert not is_valid_pesel(body + str(pesel_check_digit(body)))


def _corrupt(number: str, position: int, digit: int) -> str | None:
    digits = [c for c in number if c.isdigit()]
    position %= len(digits)
    if int(digits[position]) == digit:
        return None
    digits[position] = str(digit)
    return "".join(digits)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), position=st.integers(0, 30), digit=st.integers(0, 9))
def test_any_single_digit_error_breaks_pesel_nip_and_account_checksums(seed, position, digit):
    rng = random.Random(seed)
    for make, valid in ((make_pesel, is_valid_pesel), (make_nip, is_valid_nip), (make_account, is_valid_nrb)):
        number = make(rng)
        assert valid(number)
        corrupted = _corrupt(number, position, digit)
        if corrupted is not None:
            assert not valid(corrupted)


def test_generated_regons_are_valid():
    rng = random.Random(3)
    assert all(is_valid_regon(make_regon(rng)) for _ in range(200))


# --- single items ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    ["+48 501 234 567", "0048 501 234 567", "+48501234567", "501-234-567", "501234567", "501 234 567",
     "(58) 323 45 67", "58 323 45 67", "+48 58 323 45 67", "58-323-45-67", "(058) 323-45-67", "(+48) 601 202 303"],
)
def test_polish_phone_numbers_in_common_formats_are_redacted(phone):
    text, kinds = redact_text(f"Proszę o kontakt: {phone}, najlepiej po 16:00.")
    assert text == "Proszę o kontakt: [TELEFON], najlepiej po 16:00."
    assert kinds == ["TELEFON"]


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        ("jan.kowalski@wp.pl", "EMAIL"),
        ("a.nowak-kruk@fundacja.org.pl", "EMAIL"),
        ("44051401359", "PESEL"),
        ("123-456-32-18", "NIP"),
        ("1234563218", "NIP"),
        ("PL61 1090 1014 0000 0712 1981 2874", "NR_KONTA"),
        ("61109010140000071219812874", "NR_KONTA"),
        ("6110 9010 1400 0007 1219 8128 74", "NR_KONTA"),
        ("123 456 32 18", "NIP"),
        ("ul. Sienna 14/2, 80-812 Gdańsk", "ADRES"),
        ("al. Grunwaldzka 102", "ADRES"),
        ("os. Kasztanowe 7 m. 12", "ADRES"),
        ("ul. Gen. J. Bema 5/3", "ADRES"),
        ("ul. J.Kilińskiego 5", "ADRES"),
        ("ABA 300000", "DOKUMENT"),
        ("ZS0000177", "DOKUMENT"),
    ],
)
def test_identifiers_addresses_and_emails_get_typed_placeholders(item, kind):
    text, kinds = redact_text(f"Dane: {item}. Dziękuję.")
    assert text == f"Dane: {PLACEHOLDERS[kind]}. Dziękuję."
    assert kinds == [kind]


def test_labelled_regon_is_redacted_and_krs_is_not():
    text, kinds = redact_text("Stowarzyszenie, REGON 123456785, KRS 0000123456. NIP i KRS 0000654321.")
    assert text == "Stowarzyszenie, REGON [REGON], KRS 0000123456. NIP i KRS 0000654321."
    assert kinds == ["REGON"]


def test_eleven_digits_failing_the_checksum_are_not_a_pesel():
    assert redact_text("Numer wniosku 44051401358 czeka na rozpatrzenie.") == (
        "Numer wniosku 44051401358 czeka na rozpatrzenie.",
        [],
    )


def test_a_number_the_writer_labels_pesel_is_redacted_even_when_mistyped():
    # A mistyped PESEL is still somebody's PESEL; only unlabelled numbers must pass the checksum.
    assert redact_text("Stanisław Wrona\nPESEL 52091407318") == ("[OSOBA]\nPESEL [PESEL]", ["OSOBA", "PESEL"])
    assert redact_text("NIP fundacji: 584 271 39 06") == ("NIP fundacji: [NIP]", ["NIP"])


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Z poważaniem, Anna Kowalska", "Z poważaniem, [OSOBA]"),
        ("Imię i nazwisko: Jan Nowak", "Imię i nazwisko: [OSOBA]"),
        ("Jan Nowak – prezes zarządu", "[OSOBA] – prezes zarządu"),
        ("Pozdrawiam\nmgr Dorota Szulc\nd.szulc@wp.pl", "Pozdrawiam\nmgr [OSOBA]\n[EMAIL]"),
        ("kontakt: Bartek 698 223 517", "kontakt: [OSOBA] [TELEFON]"),
        ("Szanowna Pani Prezydent, pisał pan Kowalczyk.", "Szanowna Pani Prezydent, pisał pan [OSOBA]."),
        ("Kontakt przez Tomasza Sikorę: 604 552 918", "Kontakt przez [OSOBA]: [TELEFON]"),
        ("Z poważaniem\nKOWALSKI JAN", "Z poważaniem\n[OSOBA]"),
        ("Pozdrawiam,\nMalgorzata Wisniewska", "Pozdrawiam,\n[OSOBA]"),
        ("pozdrawiam, ania", "pozdrawiam, [OSOBA]"),
        ("kontakt: ewa 501 234 567", "kontakt: [OSOBA] [TELEFON]"),
        ("Олена Ковальчук, тел. +48 576 203 418", "[OSOBA], тел. [TELEFON]"),
        ("Nazywam się Jadwiga Kołodziej, mieszkam na ul. Startowej 9/21.",
         "Nazywam się [OSOBA], mieszkam na [ADRES]."),
    ],
)
def test_people_in_signatures_greetings_and_contact_blocks_are_redacted(text, redacted):
    assert redact_text(text)[0] == redacted


@pytest.mark.parametrize(
    "text",
    [
        "Proponujemy zmianę art. 19a ust. 2 ustawy.",
        "Dotyczy § 5 ust. 2 pkt 3 projektu.",
        "Zob. Dz.U. z 2022 r. poz. 1327 oraz Dz. U. 2023 poz. 571.",
        "Pula wynosi 1 200 000 zł, a w 2022 r. było to 250 000,00 zł.",
        "Budżet programu to 125 000 000 zł i 2.500.000 PLN na granty.",
        "Termin: 15.03.2024, spotkanie 2023-11-15 od 10:00 do 17:30.",
        "Wkład własny 12,5% lub 20 %.",
        "Sprawa WRS-II.524.1.2023, sygn. akt III SA/Gd 412/22.",
        "Fundacja (KRS 0000123456) działa od 31 grudnia 2022 r.",
        "Gdańskie Centrum Organizacji Pozarządowych i Miasto Gdańsk organizują spotkanie.",
        "Rada Dzielnicy prosi o remont ul. Grunwaldzkiej i al. Zwycięstwa.",
        # A street closing a sentence does not swallow the next one as its house number (a real Łódź proposal).
        "Budowa latarni przy skrzyżowaniu z ul. Okólną. Budowa 8 latarni na odcinku 300 m.",
        "Festyn odbędzie się w maju na skrzyżowaniu ulic Jana Kilińskiego i Długiej, przy ul. 3 Maja.",
        "Szkoła Podstawowa nr 12 im. Jana Pawła II i Fundacja im. Anny Walentynowicz popierają Program.",
        "W latach 2019–2022 zadzwoniło 116 123 osób pod telefon zaufania 800 12 12 12.",
        "Szanowni Państwo, Pani Prezydent, Panie Dyrektorze,",
        "Pozdrawiam serdecznie\nZarząd",
        "Sala ABC 123456 i numer ABA300001 nie są dokumentami.",
    ],
)
def test_non_personal_numbers_and_names_are_left_intact(text):
    assert redact_text(text) == (text, [])


def test_types_are_sorted_unique_placeholder_keys():
    text, kinds = redact_text("Anna Nowak, a.nowak@wp.pl, b.nowak@wp.pl, tel. 501 234 567")
    assert kinds == ["EMAIL", "OSOBA", "TELEFON"]
    assert set(kinds) <= set(PLACEHOLDERS)
    assert text == "[OSOBA], [EMAIL], [EMAIL], tel. [TELEFON]"


# --- the stage ---------------------------------------------------------------------------------------------------


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "comment_id": ["a", "b", "c", "d"],
            "text_clean": ["Popieram.", "Anna Nowak, tel. 501 234 567", None, "Pisać na x.y@wp.pl"],
        }
    )


def test_stage_rewrites_text_clean_and_lists_types_per_row():
    out = redact(_frame(), Config())
    assert list(out["comment_id"]) == ["a", "b", "c", "d"]
    assert list(out["text_clean"]) == ["Popieram.", "[OSOBA], tel. [TELEFON]", "", "Pisać na [EMAIL]"]
    assert list(out["pii"]) == ["", "OSOBA|TELEFON", "", "EMAIL"]


def test_stage_gives_the_same_rows_whole_or_in_chunks():
    df = _frame()
    whole = redact(df, Config())
    chunks = pd.concat([redact(df.iloc[:2], Config()), redact(df.iloc[2:], Config())])
    pd.testing.assert_frame_equal(whole, chunks)


def test_stage_switched_off_only_adds_an_empty_pii_column():
    df = _frame()
    out = redact(df, Config().with_(nlp=NlpConfig(redact=False)))
    assert list(out["pii"]) == [""] * 4
    pd.testing.assert_series_equal(out["text_clean"], df["text_clean"])


# --- input columns -----------------------------------------------------------------------------------------------


def test_personal_data_columns_are_found_by_header():
    columns = ["Lp.", "Imię i nazwisko", "E-mail", "Adres e-mail", "TELEFON", "adres", "Pesel", "Nazwisko",
               "Treść uwagi", "Nazwa organizacji", "Dzielnica", "Kontakt", "Imię i nazwisko / nazwa organizacji",
               "Numer telefonu kontaktowego", "Adres strony www", "Name", "Organization name", "Typ zgłaszającego",
               "Rodzaj wnioskodawcy"]
    assert detect_pii_columns(columns) == ["Imię i nazwisko", "E-mail", "Adres e-mail", "TELEFON", "adres", "Pesel",
                                           "Nazwisko", "Kontakt", "Imię i nazwisko / nazwa organizacji",
                                           "Numer telefonu kontaktowego", "Name"]


def test_explicit_pii_columns_are_added_and_unknown_ones_are_a_user_error():
    assert detect_pii_columns(["uwaga", "zglaszajacy_id", "mail"], explicit=["zglaszajacy_id"]) == [
        "zglaszajacy_id",
        "mail",
    ]
    with pytest.raises(UserError, match="podpis_osoby"):
        detect_pii_columns(["uwaga"], explicit=["podpis_osoby"])


# --- quality on the generated set and on the dev comments --------------------------------------------------------

IDENTIFIER_TYPES = ("EMAIL", "TELEFON", "PESEL", "NIP", "REGON", "NR_KONTA")


@pytest.fixture(scope="module")
def corpus_scores():
    examples = make_pii_corpus(800)
    assert len(examples) >= 500
    assert sum(1 for ex in examples for s in ex.spans if s.kind == KEEP) >= 500
    return evaluate(examples, find_pii)


def test_generated_set_recall_per_type(corpus_scores):
    scores, _, _ = corpus_scores
    for kind in IDENTIFIER_TYPES:
        assert scores[kind].gold >= 40, (kind, scores[kind])
        assert scores[kind].recall == 1.0, (kind, scores[kind])
    for kind in ("OSOBA", "ADRES"):
        assert scores[kind].recall >= 0.9, (kind, scores[kind])


def test_generated_set_precision_and_non_personal_items_intact(corpus_scores):
    scores, intact, damaged = corpus_scores
    assert intact == 1.0, damaged
    for kind, score in scores.items():
        assert score.precision >= 0.95, (kind, score)


# Independent, deliberately broad patterns for what must never survive: anything e-mail-like and any run of
# nine or more digits (phones, PESEL, NIP, REGON, accounts), however separated.
_EMAIL_LIKE = re.compile(r"\S+@\S+\.\w+")
_LONG_DIGITS = re.compile(r"(?:\+?\d[ ().-]{0,2}){9,}")


def test_no_identifier_survives_in_dev_comments_marked_has_pii(gdansk_dev):
    marked = [row for row in gdansk_dev if row["has_pii"]]
    assert marked
    survivors = []
    for row in marked:
        text, _ = redact_text(row["text"])
        survivors += [(row["id"], m.group()) for m in _EMAIL_LIKE.finditer(text)]
        survivors += [(row["id"], m.group()) for m in _LONG_DIGITS.finditer(text)]
    assert survivors == []


def test_dev_comments_without_personal_data_keep_their_numbers(gdansk_dev):
    # Long numbers in comments not marked has_pii (amounts, case numbers) must not be taken for identifiers.
    changed = []
    for row in gdansk_dev:
        if row["has_pii"]:
            continue
        _, kinds = redact_text(row["text"])
        changed += [(row["id"], k) for k in kinds if k in IDENTIFIER_TYPES]
    assert changed == []


def test_redacting_redacted_text_changes_nothing():
    # Re-runs and downstream copies of text_clean must not turn placeholders or their neighbours into new finds.
    for ex in make_pii_corpus(150, seed=5):
        once, kinds = redact_text(ex.text)
        assert redact_text(once) == (once, []), once
        assert all(PLACEHOLDERS[k] in once for k in kinds)
