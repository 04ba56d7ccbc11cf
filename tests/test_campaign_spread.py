"""One answer for a campaign reaches every member, unless staff answered that member separately (issue 14.6)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.campaign_spread import spread_over_groups
from pipeline.commands.learn import describe_spread
from pipeline.corrections import apply_corrections, effective
from pipeline.edits import corrections_from, group_members, read_edits
from pipeline.export.xlsx import write_workbook
from pipeline.sheets import H_ANSWER, H_DECISION, H_LABEL_FIX, label_names
from tests.test_learn import TAXONOMY, edit

TEMPLATE = "Apelujemy o zwiększenie puli małych grantów dla organizacji sąsiedzkich w Gdańsku."
TEXTS = [TEMPLATE, TEMPLATE + " Sam prowadzę klub szachowy i brakuje nam pieniędzy na sprzęt.", TEMPLATE,
         TEMPLATE + " Nasza fundacja czekała na dotację dwa lata.", "Dziura w jezdni na Chełmie."]


def campaign_table() -> pd.DataFrame:
    ids = ["a", "b", "c", "d", "e"]
    return pd.DataFrame({
        "comment_id": ids, "text": TEXTS, "text_clean": TEXTS, "status": "kampania",
        "label": ["wolontariat"] * 4 + ["finansowanie"], "confidence": 0.6, "needs_review": False, "evidence": "",
        "priority": 2, "cluster_id": ["c1"] * 4 + [""], "cluster_size": [4] * 4 + [1],
        "cluster_kind": ["kampania"] * 4 + [""],
        "cluster_role": ["reprezentant", "członek", "członek", "członek", "unikalna"],
        "added_text": ["", TEXTS[1][len(TEMPLATE) + 1:], "", TEXTS[3][len(TEMPLATE) + 1:], ""],
    })


def campaign_workbook(tmp_path: Path) -> Path:
    clusters = pd.DataFrame({"cluster_id": ["c1"], "kind": ["kampania"], "size": [4], "representative_id": ["a"],
                             "template": [TEMPLATE]})
    return write_workbook(campaign_table(), tmp_path / "triage.xlsx", {"created": "2026-12-06T09:00:00+00:00"},
                          taxonomy=TAXONOMY, clusters=clusters)


def learnt(path: Path, log: list = ()) -> tuple[pd.DataFrame, list, list]:
    edits = read_edits(path)
    records = corrections_from(edits, TAXONOMY)
    spreads = spread_over_groups(records, group_members(edits, TAXONOMY), list(log))
    log = [*log, *records, *(c for s in spreads for c in s.records)]
    return apply_corrections(campaign_table(), effective(log)).set_index("comment_id"), spreads, log


def test_one_answer_reaches_every_member_but_not_one_answered_separately(tmp_path: Path) -> None:
    edited = edit(campaign_workbook(tmp_path), tmp_path / "poprawiony.xlsx", {
        "a": {H_LABEL_FIX: "finansowanie", H_DECISION: "uwzględniona", H_ANSWER: "Zwiększymy pulę grantów."},
        "d": {H_ANSWER: "Dotacja dla fundacji zostanie rozpatrzona osobno."},
    })
    table, spreads, _ = learnt(edited)
    assert table.loc[["a", "b", "c", "d"], "label"].tolist() == ["finansowanie"] * 4
    assert table.loc[["a", "b", "c", "d"], "decision"].tolist() == ["uwzględniona"] * 4
    assert table.loc[["a", "b", "c"], "answer"].tolist() == ["Zwiększymy pulę grantów."] * 3
    assert table.loc["d", "answer"] == "Dotacja dla fundacji zostanie rozpatrzona osobno."
    assert table.loc["e", "answer"] == "" and table.loc["e", "label"] == "finansowanie"  # not in the campaign
    relabel = next(s for s in spreads if s.field == "label")
    assert describe_spread(relabel, label_names(TAXONOMY)).startswith(
        "uwagi: poprawka celu z wiersza ")
    assert describe_spread(relabel, label_names(TAXONOMY)).endswith(
        "obejmuje całą kampanię K1: zmienia cel 3 innych uwag")


def test_a_campaign_answered_again_reaches_its_members_again(tmp_path: Path) -> None:
    first = edit(campaign_workbook(tmp_path), tmp_path / "r1.xlsx", {"a": {H_ANSWER: "Pierwsza odpowiedź."}})
    _, _, log = learnt(first)
    # The second round's workbook shows the copies; staff change only the representative's answer.
    shown = {cid: {H_ANSWER: "Pierwsza odpowiedź."} for cid in "bcd"}
    second = edit(campaign_workbook(tmp_path), tmp_path / "r2.xlsx",
                  {"a": {H_ANSWER: "Druga odpowiedź."}, **shown})
    table, _, _ = learnt(second, log)
    assert table.loc[["a", "b", "c", "d"], "answer"].tolist() == ["Druga odpowiedź."] * 4
