"""The words uwagi writes into its tables and staff read in the workbook: defined here once.

Statuses, cluster roles, staff decisions and redaction placeholders appear in the comments table, in the
workbook's dropdowns and filters and in `docs/data-dictionary.md`; every module that writes or tests them imports
them from here, so a renamed value cannot drift between the writer and the reader.
"""

from __future__ import annotations

import re

# `status`: ingest sets the first three, triage refines them.
STATUS_OK = "do analizy"
STATUS_EMPTY = "pusta"
STATUS_ERROR = "błąd"
STATUS_CAMPAIGN = "kampania"
STATUS_DUPLICATE = "duplikat"
STATUS_REVIEW = "do weryfikacji"
STATUS_OFF_TOPIC = "poza zakresem"
STATUS_UNREADABLE = "nieczytelna"
STATUSES = (
    STATUS_OK, STATUS_REVIEW, STATUS_CAMPAIGN, STATUS_DUPLICATE, STATUS_OFF_TOPIC, STATUS_UNREADABLE, STATUS_EMPTY, STATUS_ERROR,
)

# `cluster_role`
ROLE_REPRESENTATIVE = "reprezentant"
ROLE_MEMBER = "członek"
ROLE_UNIQUE = "unikalna"
ROLES = (ROLE_REPRESENTATIVE, ROLE_MEMBER, ROLE_UNIQUE)

# `cluster_kind`: the same text from one or two senders, or a template sent by many (empty for a unique comment).
KIND_DUPLICATE = STATUS_DUPLICATE
KIND_CAMPAIGN = STATUS_CAMPAIGN
CLUSTER_KINDS = (KIND_DUPLICATE, KIND_CAMPAIGN)
# At most this many different senders make a cluster a duplicate rather than a campaign.
DUPLICATE_MAX_SENDERS = 2

# `change` (runs with a state): how a comment differs from the last run's.
CHANGE_NEW = "nowa"
CHANGE_CHANGED = "zmieniona"
CHANGE_UNCHANGED = "bez zmian"
CHANGE_WITHDRAWN = "wycofana"
CHANGES = (CHANGE_NEW, CHANGE_CHANGED, CHANGE_UNCHANGED, CHANGE_WITHDRAWN)

# `decision`: what staff choose in "Status – decyzja".
DECISIONS = (
    "uwzględniona", "częściowo uwzględniona", "nieuwzględniona", "przyjęta do wiadomości", "nie dotyczy",
)

# Redaction placeholders by kind, in the order the detectors run.
PII_KINDS = ("EMAIL", "TELEFON", "PESEL", "NIP", "REGON", "NR_KONTA", "DOKUMENT", "ADRES", "OSOBA")
PLACEHOLDERS: dict[str, str] = {kind: f"[{kind}]" for kind in PII_KINDS}
# Any placeholder in a text, including one a user-added detector writes ("[LEGITYMACJA]").
PLACEHOLDER = re.compile(r"\[[A-ZĄĆĘŁŃÓŚŹŻ][A-ZĄĆĘŁŃÓŚŹŻ0-9_-]*\]")
