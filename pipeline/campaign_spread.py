"""One correction for a campaign reaches every member: a label, decision or answer staff gave one member of a
campaign (or a group of duplicates) in triage.xlsx is copied to the members they did not answer separately.

Members are the rows of "Uwagi" with the same group in its "Kampania" column ("K1", "K1 – reprezentant", "D2").
A member's value counts as staff's own when staff typed it in this workbook or an earlier one; a value the
member only got by an earlier copy (its record names a `source`) does not, so a campaign answered again reaches
its members again. The representative's value is the group's; without one, the value staff typed for members, if
they typed one (members answered differently and no representative's value: nothing is copied).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from pipeline.corrections import Correction

FIELDS = ("label", "decision", "answer")


@dataclass(frozen=True)
class Member:
    """One row of a group in the workbook: which comment it is, and where."""

    fingerprint: str
    comment_id: str
    text: str  # the redacted text, as a correction stores it
    row: int
    representative: bool = False
    label: str = ""  # the goal (id) the workbook shows for it: a member already showing a goal is not relabelled


@dataclass(frozen=True)
class Spread:
    """One field of one staff correction copied to the other members of its group."""

    group: str
    field: str
    value: str
    row: int  # the sheet row staff gave it in
    records: tuple[Correction, ...]  # one per member text whose value it changes
    comments: int  # the other rows of the group it reaches (members with the source's very text included)


def _last_setters(log: Iterable[Correction]) -> dict[tuple[str, str], Correction]:
    """(fingerprint, field) → the latest record of the log that stated the field."""
    out: dict[tuple[str, str], Correction] = {}
    for rec in log:
        for field in FIELDS:
            if getattr(rec, field) is not None:
                out[rec.fingerprint, field] = rec
    return out


def _holds(member: Member, field: str, value: str, earlier: Correction | None, current: Correction | None) -> bool:
    """Whether the member has `value` already: the goal the workbook shows, or the value the log gave it (and the
    workbook did not clear)."""
    if field == "label":
        return member.label == value
    return (earlier is not None and getattr(earlier, field) == value
            and (current is None or getattr(current, field) in (None, value)))


def spread_over_groups(
    records: Sequence[Correction], groups: Mapping[str, Sequence[Member]], log: Sequence[Correction],
) -> list[Spread]:
    """The copies the workbook's `records` (its edited rows) make within `groups`, given the model's `log`."""
    setters = _last_setters(log)
    by_fingerprint = {r.fingerprint: r for r in records}

    def own(fp: str, field: str) -> str:
        """The member's value for `field` typed by staff ("" when none): in this workbook unless it is only a
        copy shown again, else in the log."""
        rec, earlier = by_fingerprint.get(fp), setters.get((fp, field))
        value = getattr(rec, field) if rec is not None else None
        if value and not (earlier is not None and earlier.source and getattr(earlier, field) == value):
            return value
        return getattr(earlier, field) or "" if earlier is not None and not earlier.source else ""

    spreads = []
    for group, members in groups.items():
        fps = list(dict.fromkeys(m.fingerprint for m in members))
        if len(fps) < 2:
            continue
        for field in FIELDS:
            typed = {fp: own(fp, field) for fp in fps}
            values = {v for fp, v in typed.items() if v and fp in by_fingerprint}
            lead = {typed[m.fingerprint] for m in members if m.representative} & values
            if len(lead) == 1:
                values = lead
            if len(values) != 1:
                continue
            value = values.pop()
            source = next(by_fingerprint[fp] for fp, v in typed.items() if v == value and fp in by_fingerprint)
            copies = []
            for member in {m.fingerprint: m for m in members}.values():
                if typed[member.fingerprint] or _holds(member, field, value, setters.get((member.fingerprint, field)),
                                                       by_fingerprint.get(member.fingerprint)):
                    continue
                copies.append(replace(
                    source, fingerprint=member.fingerprint, comment_id=member.comment_id, text=member.text,
                    source=source.comment_id or source.fingerprint,
                    **{f: (value if f == field else None) for f in FIELDS}))
            if copies:
                reached = {c.fingerprint for c in copies} | {source.fingerprint}
                others = sum(m.fingerprint in reached and m.row != source.row for m in members)
                spreads.append(Spread(group, field, value, source.row, tuple(copies), others))
    return spreads
