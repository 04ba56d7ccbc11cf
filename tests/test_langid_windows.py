"""py3langid's answers for many texts at once: the same features, scores and languages as its byte-by-byte walk."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from py3langid.langid import LanguageIdentifier, visit_counts

from pipeline import langid_windows
from pipeline.clean import _needs_model, detect_language, detect_languages, language_identifier
from pipeline.langid_windows import PROVEN_TRANSITIONS, WindowedIdentifier, transitions_fingerprint

_WORDS = ["Prosimy", "o", "dotacje", "we", "would", "like", "Просимо", "фінансування", "Wir", "möchten", "ŁÓDŹ",
          "zwiekszenie", "puli", "NGO", "2024", "€", "„tak”", "🙂", "e\u0301", "\n", "!!", "ﬁ", "ß", "Ꭰ"]


def _walk(identifier: WindowedIdentifier, data: bytes):
    return visit_counts(identifier.tk_nextmove, identifier._rowbase, identifier.tk_output, data)


def test_the_installed_model_is_the_one_proven_to_forget() -> None:
    # Otherwise every text is walked byte by byte again: the right answers, three times the CPU.
    assert transitions_fingerprint(language_identifier()) == PROVEN_TRANSITIONS


def test_the_export_texts_get_py3langids_own_answers(benchmark_export: list[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # The texts the detector sees in the benchmark export (no Polish letters, four words or more), in chunks the
    # size a worker's sends, each read in several batches: each the language and score of py3langid's own walk.
    monkeypatch.setattr(langid_windows, "BATCH_BYTES", 20_000)
    identifier = language_identifier()
    asked = [text for text in dict.fromkeys(benchmark_export) if _needs_model(text)][::4]
    assert len(asked) > 300
    batches = [asked[i:i + 100] for i in range(0, len(asked), 100)]
    assert [answer for batch in batches for answer in identifier.classify_many(batch)] == [
        identifier.classify(text) for text in asked]
    assert detect_languages(asked + asked[:5]) == [detect_language(text) for text in asked + asked[:5]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_WORDS)).map(" ".join) | st.text(max_size=40), max_size=6))
@example(["", "a", "ab cd", "ABCDEFGH IJKL", "Ä" * 7, "x" * 5, "ab cd"])  # shorter than the window, empty, repeated
def test_scores_of_texts_counted_together_are_the_walks(texts: list[str]) -> None:
    # Equal to the last bit: py3langid sums the features' scores in the order they first appear.
    identifier = language_identifier()
    encoded = [identifier._encode(text) for text in texts]
    for scores, data in zip(identifier.feature_scores(encoded), encoded, strict=True):
        if scores is None:
            assert _walk(identifier, data) is None
        else:
            walked = LanguageIdentifier._raw_score(identifier, data)
            assert scores.dtype == walked.dtype and scores.tobytes() == walked.tobytes()


def test_other_transitions_are_walked_byte_by_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    # A model nobody proved forgets after six bytes (another py3langid) must not be read by windows.
    identifier = language_identifier()
    monkeypatch.setattr(langid_windows, "PROVEN_TRANSITIONS", PROVEN_TRANSITIONS ^ 1)
    unproven = WindowedIdentifier(identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes, identifier.tk_nextmove,
                                  identifier.tk_output, tk_row=identifier.tk_row)
    monkeypatch.setattr(WindowedIdentifier, "feature_scores", lambda self, encoded: pytest.fail("read by windows"))
    texts = ["We would like the city to fund more programmes", "Wir möchten mehr Geld für die Vereine haben"]
    assert unproven.classify_many(texts) == [identifier.classify(text) for text in texts]


def test_a_long_input_is_read_in_bounded_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # A batch's arrays take about 60 bytes per byte: a table of long letters must not be read as one.
    monkeypatch.setattr(langid_windows, "BATCH_BYTES", 10)
    encoded = [b"abcd", b"efgh", b"ij", b"k" * 25, b"", b"lmnop"]
    batches = list(langid_windows._batches(encoded))
    assert [data for batch in batches for data in batch] == encoded
    assert all(len(batch) == 1 or sum(map(len, batch)) <= 10 for batch in batches)
    assert len(batches) == 3
