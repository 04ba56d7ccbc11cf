"""Redaction: replace personal data in `text_clean` with typed placeholders (`[EMAIL]`, `[OSOBA]`, ...) and record
the types in `pii`.

Detection is rule-based, one module per kind of data: `numbers` (identifiers with their checksums), `contacts`
(e-mail, phone), `addresses`, `people` (names, signatures). `stage` runs the registered detectors in a fixed order,
each seeing earlier findings masked; `register_detector` adds one of your own:

    from pipeline.redact import pattern_detector, register_detector
    register_detector("student_id", pattern_detector("LEGITYMACJA", r"(?<=nr albumu )\\d{5,6}\\b"), before="phone")
"""

from pipeline.redact.scan import PiiSpan, Scan
from pipeline.redact.stage import (
    Detector, detector_names, find_pii, pattern_detector, redact, redact_text, register_detector,
    unregister_detector,
)
from pipeline.vocabulary import PLACEHOLDERS

__all__ = [
    "PLACEHOLDERS", "Detector", "PiiSpan", "Scan", "detector_names", "find_pii", "pattern_detector", "redact",
    "redact_text", "register_detector", "unregister_detector",
]
