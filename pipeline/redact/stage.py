"""The redaction stage: runs the registered detectors over each text, in order, and writes placeholders.

Each detector sees the text with earlier findings masked, so a phone pattern never fires inside an account number
and a name detector never fires inside an e-mail address. A user adds a detector with `register_detector`; the
built-in ones run in this order: e-mail, account, labelled identifiers, PESEL/NIP/REGON by checksum, identity
documents, phone, address, then people (labelled, initial and surname, addressed, named, lower-case signatures).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from pipeline.config import Config
from pipeline.distinct import map_distinct
from pipeline.redact import addresses, contacts, numbers, people
from pipeline.redact.scan import PiiSpan, Scan, placeholder
from pipeline.stage import stage

Detector = Callable[[Scan], None]
"""Reads `scan.work` and reports each finding with `scan.add(start, end, kind)`; what it finds depends on the text
alone (the stage redacts each distinct text of a chunk once)."""

# Run order is insertion order.
_DETECTORS: dict[str, Detector] = {
    "email": contacts.find_emails,
    "account": numbers.find_accounts,
    "labelled_number": numbers.find_labelled,
    "checksummed_number": numbers.find_checksummed,
    "document": numbers.find_documents,
    "phone": contacts.find_phones,
    "address": addresses.find_addresses,
    "labelled_person": people.find_labelled_people,
    # Before "Pan"/"p." takes the initial "P." of "P. Michalak" for an honorific and leaves it behind.
    "initialled_person": people.find_initialled_people,
    "addressed_person": people.find_addressed_people,
    "named_person": people.find_named_people,
    "lowercase_signature": people.find_lowercase_signatures,
}


def register_detector(name: str, detect: Detector, *, before: str | None = None) -> None:
    """Run `detect` in every later redaction: last, or just before the detector called `before` (so that, say, a
    student-ID pattern claims its digits before the phone detector can). A name already registered is replaced."""
    if before is not None and before not in _DETECTORS:
        raise ValueError(f"no redaction detector {before!r}; registered: {', '.join(_DETECTORS)}")
    _DETECTORS.pop(name, None)
    if before is None:
        _DETECTORS[name] = detect
        return
    ordered = list(_DETECTORS.items())
    at = next(i for i, (other, _) in enumerate(ordered) if other == before)
    ordered.insert(at, (name, detect))
    _DETECTORS.clear()
    _DETECTORS.update(ordered)


def unregister_detector(name: str) -> None:
    """Stop running the detector called `name`."""
    if name not in _DETECTORS:
        raise ValueError(f"no redaction detector {name!r}; registered: {', '.join(_DETECTORS)}")
    del _DETECTORS[name]


def detector_names() -> tuple[str, ...]:
    """The registered detectors, in the order they run."""
    return tuple(_DETECTORS)


def pattern_detector(kind: str, pattern: str | re.Pattern[str],
                     valid: Callable[[str], bool] | None = None) -> Detector:
    """A detector that reports each match of `pattern` (that `valid` accepts, when given) as `kind`, written
    `[KIND]` in the text and `KIND` in `pii`."""
    placeholder(kind)  # an unusable kind fails here, not in the middle of a run
    compiled = re.compile(pattern)

    def detect(scan: Scan) -> None:
        for m in compiled.finditer(scan.work):
            if valid is None or valid(m.group()):
                scan.add(m.start(), m.end(), kind)

    return detect


def find_pii(text: str) -> list[PiiSpan]:
    """Non-overlapping personal-data spans in `text`, in reading order."""
    if not text:
        return []
    scan = Scan(text)
    for detect in _DETECTORS.values():
        detect(scan)
    return sorted(scan.spans)


def redact_text(text: str) -> tuple[str, list[str]]:
    """(text with each span replaced by its placeholder, sorted unique types found)."""
    spans = find_pii(text)
    if not spans:
        return text, []
    parts, pos = [], 0
    for span in spans:
        parts.append(text[pos : span.start])
        parts.append(placeholder(span.kind))
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts), sorted({s.kind for s in spans})


@stage("redact", requires=("text_clean",), assigns=("text_clean", "pii"))
def redact(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage: rewrite `text_clean` redacted and add `pii` ("|"-joined types, "" when none)."""
    out = df.copy(deep=False)  # copy-on-write: the columns set below never reach `df`, and the text is not copied
    if not cfg.nlp.redact:
        out["pii"] = ""
        return out
    # A detector depends on the text alone, so copies of one text (a campaign's letters) are redacted once.
    results = map_distinct(redact_text, out["text_clean"].fillna("").astype(str).tolist())
    out["text_clean"] = [text for text, _ in results]
    out["pii"] = ["|".join(kinds) for _, kinds in results]
    return out
