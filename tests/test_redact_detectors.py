"""The detector registry (a user adds a detector) and the closing formulas redaction shares with clustering."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.cluster_keys import strip_boilerplate
from pipeline.config import Config
from pipeline.letters import CLOSINGS
from pipeline.redact import (
    detector_names, pattern_detector, redact, redact_text, register_detector, unregister_detector,
)

STUDENT = "Student, nr albumu: 501234567, proszę o kontakt."


@pytest.fixture
def student_id_detector():
    register_detector("student_id", pattern_detector("LEGITYMACJA", r"(?<=albumu: )\d{6,9}\b"), before="phone")
    yield
    unregister_detector("student_id")


def test_a_registered_detector_is_applied_by_the_stage_and_recorded_in_pii(student_id_detector):
    out = redact(pd.DataFrame({"text_clean": [STUDENT, "Anna Nowak, tel. 501 234 567"]}), Config())
    assert list(out["text_clean"]) == ["Student, nr albumu: [LEGITYMACJA], proszę o kontakt.",
                                       "[OSOBA], tel. [TELEFON]"]
    assert list(out["pii"]) == ["LEGITYMACJA", "OSOBA|TELEFON"]


def test_a_detector_registered_last_sees_earlier_findings_masked():
    assert redact_text(STUDENT)[1] == ["TELEFON"]
    register_detector("student_id", pattern_detector("LEGITYMACJA", r"(?<=albumu: )\d{6,9}\b"))
    try:
        assert detector_names()[-1] == "student_id"
        assert redact_text(STUDENT) == ("Student, nr albumu: [TELEFON], proszę o kontakt.", ["TELEFON"])
    finally:
        unregister_detector("student_id")


def test_a_kind_that_cannot_be_a_placeholder_or_an_unknown_position_is_refused():
    with pytest.raises(ValueError, match="legitymacja"):
        pattern_detector("legitymacja", r"\d+")
    with pytest.raises(ValueError, match="nie_ma"):
        register_detector("student_id", pattern_detector("LEGITYMACJA", r"\d+"), before="nie_ma")
    assert "student_id" not in detector_names()


@pytest.mark.parametrize("closing", [phrase.rstrip("*").capitalize() for phrase in CLOSINGS])
def test_every_closing_formula_ends_the_text_for_clustering_and_marks_a_signature_for_redaction(closing):
    text = f"Proszę o zmianę zapisu w paragrafie 5.\n{closing}\nKowalski"
    assert strip_boilerplate(text) == "Proszę o zmianę zapisu w paragrafie 5."
    assert redact_text(text) == (f"Proszę o zmianę zapisu w paragrafie 5.\n{closing}\n[OSOBA]", ["OSOBA"])


# --- issue 19.1 and issue 14.10: identifiers typed apart, spelt-out e-mails, initials, sign-offs, public places ---


@pytest.mark.parametrize(("text", "kept"), [
    ("Mój PESEL: 44 05 14 01 359, proszę o zwrot.", "Mój PESEL: [PESEL], proszę o zwrot."),
    ("PESEL 44-05-14-01359.", "PESEL [PESEL]."),
    ("pesel44051401359", "pesel[PESEL]"),
    ("Numer 44.05.14.01.359 podałam wcześniej.", "Numer [PESEL] podałam wcześniej."),
    ("NIP 526.025.02.74", "NIP [NIP]"),
    ("NIP5260250274", "NIP[NIP]"),
    ("REGON: 123.456.785", "REGON: [REGON]"),
    ("anna nowak (at) gmail (dot) com", "[EMAIL]"),
    ("Pisać: jan kropka kowalski małpa wp kropka pl.", "Pisać: [EMAIL]."),
    ("jan.kowalski[at]wp[dot]pl", "[EMAIL]"),
    ("Proszę o odpowiedź.\nJ. Kowalski", "Proszę o odpowiedź.\n[OSOBA]"),
    ("Wniosek podpisał K. Dudek.", "Wniosek podpisał [OSOBA]."),
    ("Popieram projekt. Pozdrawiam, Marek", "Popieram projekt. Pozdrawiam, [OSOBA]"),
    ("Spotkanie przy ul. Długa 45 (Dwór Artusa) w maju.", "Spotkanie przy ul. Długa 45 (Dwór Artusa) w maju."),
    ("Prosimy Prezydenta Miasta Gdańska o decyzję.", "Prosimy Prezydenta Miasta Gdańska o decyzję."),
    ("Remont ulicy J. Kilińskiego trwa.", "Remont ulicy J. Kilińskiego trwa."),
    ("W zoo mieszka mała małpa, a obok kropka na mapie.", "W zoo mieszka mała małpa, a obok kropka na mapie."),
    ("Pojedziemy na Kubę. Kuba", "Pojedziemy na Kubę. Kuba"),
])
def test_written_apart_spelt_out_and_public(text: str, kept: str) -> None:
    assert redact_text(text)[0] == kept
