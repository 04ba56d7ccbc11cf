"""Nightly runs with a state (`--state`): incremental work, stable ids, staff work kept night after night, one run
at a time, and output folders that always hold one run's files."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from importlib import import_module
from openpyxl import load_workbook

from pipeline import polish
from pipeline.classify import resolve_classifier
from pipeline.cli import main
from pipeline.config import Config, EngineConfig, ExportConfig, StateConfig
from pipeline.engines import local
from pipeline.edits import read_workbook
from pipeline.export.staging import STAGING_NAME
from pipeline.job import run_job
from pipeline.lock import LOCK_NAME, LockHeld, hold_run
from pipeline.process import process
from pipeline.sheets import H_CHANGE, H_NEW
from pipeline.state.schema import SCHEMA_VERSION
from pipeline.vocabulary import CHANGE_NEW, ROLE_MEMBER

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples" / "konsultacje_2023_demo.csv"
CAMPAIGN = ("Domagamy się utrzymania finansowania świetlic środowiskowych w dzielnicy Orunia na poziomie z roku "
            "2022, bo dzieci nie mają gdzie spędzać popołudni. ")


def comments(n: int) -> list[str]:
    texts = pd.read_csv(SAMPLE, sep=";", dtype=str, encoding="utf-8-sig")["Treść uwagi"].tolist()
    return texts[:n]


def write_export(path: Path, texts: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"Treść uwagi": texts}).to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


def night(export: Path, out: Path, state: Path) -> dict:
    assert main(["run", str(export), "--out", str(out), "--state", str(state)]) == 0
    return json.loads((out / "run.json").read_text(encoding="utf-8"))


def uwagi_sheet(path: Path) -> list[dict]:
    rows = list(load_workbook(path, read_only=True)["Uwagi"].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def staff_edit(path: Path, edits: dict[str, dict[str, str]], who: str) -> None:
    """Fill cells by comment id and header, adding a header the workbook lacks, as a person in Excel would."""
    wb = load_workbook(path)
    ws = wb["Uwagi"]
    headers = [c.value for c in ws[1]]
    for header in {h for e in edits.values() for h in e}:
        if header not in headers:
            headers.append(header)
            ws.cell(row=1, column=len(headers), value=header)
    for row in ws.iter_rows(min_row=2):
        cid = row[headers.index("ID")].value
        for header, value in edits.get(cid, {}).items():
            ws.cell(row=row[0].row, column=headers.index(header) + 1, value=value)
    wb.properties.lastModifiedBy = who
    wb.save(path)


def test_three_nights_keep_ids_clusters_and_every_staff_entry(tmp_path: Path) -> None:
    base = comments(24) + [CAMPAIGN + "Podpisano: mieszkańcy.", CAMPAIGN + "Pozdrawiam serdecznie."]
    export, out, state = tmp_path / "eksport" / "formularz.csv", tmp_path / "wyniki", tmp_path / "stan.db"

    first = night(write_export(export, base), out, state)
    assert first["counts"]["new"] == 26
    one = pd.read_csv(out / "comments.csv", dtype=str, keep_default_na=False)
    campaign_id = one.loc[one["text"].str.startswith(CAMPAIGN[:30]), "cluster_id"].unique().tolist()
    assert len(campaign_id) == 1
    ids = one["comment_id"].tolist()
    e = next(i for i, t in enumerate(base) if len(t) > 200 and i > 5)  # a letter someone will edit
    staff_edit(out / "triage.xlsx", {ids[0]: {"Odpowiedź": "Dziękujemy.", "Osoba odpowiedzialna": "A. Nowak"},
                                     ids[e]: {"Status – decyzja": "uwzględniona"}}, who="Anna")

    # Night 2: comment e edited (it has staff work), comment 5 withdrawn, two new ones, one joining the campaign.
    two_texts = [t + " Dopisuję jeszcze jedno zdanie." if i == e else t for i, t in enumerate(base) if i != 5]
    two_texts += ["Prosimy o więcej ławek w parku Oruńskim, szczególnie przy placu zabaw.",
                  CAMPAIGN + "Z wyrazami szacunku."]
    second = night(write_export(export, two_texts), out, state)
    assert {k: second["counts"][k] for k in ("new", "changed", "unchanged", "withdrawn", "processed")} == \
        {"new": 2, "changed": 1, "unchanged": 24, "withdrawn": 1, "processed": 3}
    two = pd.read_csv(out / "comments.csv", dtype=str, keep_default_na=False)
    assert set(ids) <= set(two["comment_id"])  # edited and withdrawn comments keep their ids
    assert two.set_index("comment_id").loc[ids[5], "change"] == "wycofana"
    assert two.set_index("comment_id").loc[ids[e], "change"] == "zmieniona"
    assert two.loc[two["text"].str.startswith(CAMPAIGN[:30]), "cluster_id"].unique().tolist() == campaign_id
    rows = {r["ID"]: r for r in uwagi_sheet(out / "triage.xlsx")}
    assert rows[ids[e]]["Zmiana"] == "treść zmieniona — sprawdź decyzję"
    assert rows[ids[e]]["Status – decyzja"] == "uwzględniona"
    assert sum(r["Nowe"] == "tak" for r in rows.values()) == 2
    staff_edit(out / "triage.xlsx", {ids[1]: {"Odpowiedź": "Przekazano do wydziału."},
                                     ids[0]: {"Osoba odpowiedzialna": "B. Kowalski"}}, who="Bartek")

    third = night(write_export(export, two_texts), out, state)
    assert third["counts"]["processed"] == 0 and third["counts"]["unchanged"] == 27
    rows = {r["ID"]: r for r in uwagi_sheet(out / "triage.xlsx")}
    assert rows[ids[0]]["Odpowiedź"] == "Dziękujemy." and rows[ids[0]]["Osoba odpowiedzialna"] == "B. Kowalski"
    assert rows[ids[1]]["Odpowiedź"] == "Przekazano do wydziału."
    assert rows[ids[e]]["Status – decyzja"] == "uwzględniona"
    assert rows[ids[5]]["Zmiana"] == "wycofana z eksportu"
    history = list(load_workbook(out / "triage.xlsx", read_only=True)["Historia"].iter_rows(values_only=True))
    assert [r[0] for r in history[1:]] == [3, 2, 1]
    with sqlite3.connect(state) as conn:
        entries = conn.execute("SELECT comment_id, column_name, value, who, workbook FROM staff_entries "
                               "ORDER BY entry_id").fetchall()
    assert (ids[0], "Osoba odpowiedzialna", "A. Nowak", "Anna", "triage.xlsx") in entries
    assert (ids[0], "Osoba odpowiedzialna", "B. Kowalski", "Bartek", "triage.xlsx") in entries


def test_an_incremental_night_writes_what_a_full_run_writes(tmp_path: Path, monkeypatch) -> None:
    texts = comments(20)
    export, state = tmp_path / "formularz.csv", tmp_path / "stan.db"
    night(write_export(export, texts[:12]), tmp_path / "n1", state)
    analysed: set[str] = set()
    # Every analysis of the Polish layer (`analyze`, classify's `features.analyse`) goes through `analyze_tokens`.
    analyze_tokens = polish.analyze_tokens

    def counting(batch, *args, **kwargs):
        batch = list(batch)
        analysed.update(batch)
        return analyze_tokens(batch, *args, **kwargs)

    fingerprinted: list[str] = []
    corrections = import_module("pipeline.corrections")  # the package's `corrections` is the stage function
    fingerprint = corrections.fingerprint

    def fingerprinting(text: str) -> str:
        fingerprinted.append(text)
        return fingerprint(text)

    monkeypatch.setattr(polish, "analyze_tokens", counting)
    monkeypatch.setattr(corrections, "fingerprint", fingerprinting)
    manifest = night(write_export(export, texts), tmp_path / "n2", state)
    monkeypatch.undo()
    # The Polish layer (classifier features, theme lemmas) sees only the 8 new comments; 8 of 20 new is past the
    # share at which themes are found afresh over all 20, as a full run finds them.
    assert 0 < len(analysed) <= 8
    # Corrections' fingerprints of the 12 known comments are the stored ones (the full run's, as compared below).
    assert len(fingerprinted) == 8
    assert manifest["themes_fit"]["refit"] and manifest["themes_fit"]["share_since_fit"] > 0.2
    assert main(["run", str(export), "--out", str(tmp_path / "full")]) == 0
    nightly = pd.read_csv(tmp_path / "n2" / "comments.csv", dtype=str, keep_default_na=False)
    full = pd.read_csv(tmp_path / "full" / "comments.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(nightly.drop(columns="change"), full)
    sheet, full_sheet = uwagi_sheet(tmp_path / "n2" / "triage.xlsx"), uwagi_sheet(tmp_path / "full" / "triage.xlsx")
    assert set(sheet[0]) - set(full_sheet[0]) == {H_NEW, H_CHANGE}
    assert [{h: r[h] for h in full_sheet[0]} for r in sheet] == full_sheet


def test_a_grown_campaign_costs_a_night_only_its_new_letter(tmp_path: Path, monkeypatch) -> None:
    clustering = import_module("pipeline.cluster")  # the package's `cluster` is the stage function
    # More letters than a template is read from (`cluster._TEMPLATE_SAMPLE`): a new one leaves the template as it was.
    letters = [CAMPAIGN + f"Podpisano: mieszkańcy domu nr {n}." for n in range(clustering._TEMPLATE_SAMPLE + 2)]
    letters[3] += " Z poważaniem."
    export, state = tmp_path / "formularz.csv", tmp_path / "stan.db"
    lexical = ["--encoder", "off"]  # the encoder has no part in clustering
    assert main(["run", str(write_export(export, comments(10) + letters)), "--out", str(tmp_path / "n1"), "--state",
                 str(state), *lexical]) == 0
    read: list[str] = []
    added_sentences, template_sentences = clustering.added_sentences, clustering.template_sentences

    def added(core, *args, **kwargs):
        read.append(core)
        return added_sentences(core, *args, **kwargs)

    def template(*args, **kwargs):
        read.append("szablon")
        return template_sentences(*args, **kwargs)

    folded_core = clustering.folded_core

    def folding(text: str) -> str:
        read.append("rdzeń: " + text)
        return folded_core(text)

    monkeypatch.setattr(clustering, "added_sentences", added)
    monkeypatch.setattr(clustering, "template_sentences", template)
    monkeypatch.setattr(clustering, "folded_core", folding)
    write_export(export, comments(10) + letters + [CAMPAIGN + "Dopisuję się do apelu sąsiadów."])
    assert main(["run", str(export), "--out", str(tmp_path / "n2"), "--state", str(state), *lexical]) == 0
    monkeypatch.undo()
    # What the campaign's known letters add, their folded cores and the template are remembered: only the new
    # letter is read, for its core and for what it adds.
    assert len(read) == 2 and all("Dopisuję się" in r for r in read)
    assert main(["run", str(export), "--out", str(tmp_path / "full"), *lexical]) == 0
    for name in ("comments.csv", "clusters.csv"):
        nightly = pd.read_csv(tmp_path / "n2" / name, dtype=str, keep_default_na=False)
        full = pd.read_csv(tmp_path / "full" / name, dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(nightly.drop(columns="change", errors="ignore"), full)
    assert {"Dopisuję się do apelu sąsiadów.", "Z poważaniem."} <= set(
        pd.read_csv(tmp_path / "n2" / "comments.csv", dtype=str, keep_default_na=False)["added_text"])


def test_a_night_with_few_new_comments_assigns_them_to_the_stored_themes(tmp_path: Path) -> None:
    texts = comments(100)
    export, state = tmp_path / "formularz.csv", tmp_path / "stan.db"
    first = night(write_export(export, texts[:95]), tmp_path / "n1", state)
    second = night(write_export(export, texts), tmp_path / "n2", state)
    fit = second["themes_fit"]
    assert first["themes_fit"]["refit"] and not fit["refit"] and fit["fit_run"] == 1 and fit["refit_share"] == 0.2
    assert 0 < fit["share_since_fit"] <= 0.2 and 0 < fit["assigned"] <= 5
    # Only the new comments' texts are read by triage again; the rows of the campaigns they joined are decided anew.
    assert first["counts"]["triaged"] == 95 and second["counts"]["triaged"] == 5
    # Likewise clustering's row keys: computed for the new comments only, every row grouped again.
    assert first["counts"]["keyed"] == 95 and second["counts"]["keyed"] == 5
    one = pd.read_csv(tmp_path / "n1" / "comments.csv", dtype=str, keep_default_na=False).set_index("comment_id")
    two = pd.read_csv(tmp_path / "n2" / "comments.csv", dtype=str, keep_default_na=False).set_index("comment_id")
    themes = pd.read_csv(tmp_path / "n2" / "themes.csv", dtype=str, keep_default_na=False)
    kept = one.index[(one["cluster_role"] != ROLE_MEMBER) & (two.loc[one.index, "cluster_role"] != ROLE_MEMBER)]
    assert two.loc[kept, "theme"].tolist() == one.loc[kept, "theme"].tolist()
    new = two.index.difference(one.index)
    assert len(new) == 5 and set(two["theme"]) - {""} == set(themes["theme"])
    assert themes.set_index("theme")["size"].astype(int).to_dict() == two["theme"][two["theme"] != ""].value_counts(
    ).to_dict()
    # Everything but the themes is what a full run writes.
    assert main(["run", str(export), "--out", str(tmp_path / "full")]) == 0
    full = pd.read_csv(tmp_path / "full" / "comments.csv", dtype=str, keep_default_na=False).set_index("comment_id")
    pd.testing.assert_frame_equal(two.drop(columns=["change", "theme"]), full.drop(columns="theme"))


def test_a_damaged_or_newer_state_stops_with_exit_2_untouched(tmp_path: Path, capsys) -> None:
    export = write_export(tmp_path / "formularz.csv", comments(3))
    state = tmp_path / "stan.db"
    night(export, tmp_path / "out", state)
    with sqlite3.connect(state) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    truncated = tmp_path / "obcięty.db"
    truncated.write_bytes(state.read_bytes()[: state.stat().st_size // 2])
    newer = tmp_path / "nowszy.db"
    shutil.copy(state, newer)
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    for bad, words in ((truncated, "uszkodzony"), (newer, "nowsza wersja")):
        before = bad.read_bytes()
        capsys.readouterr()
        assert main(["run", str(export), "--out", str(tmp_path / "out"), "--state", str(bad)]) == 2
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1
        assert bad.read_bytes() == before


def test_a_state_from_before_the_cluster_keys_were_kept_is_migrated_and_keyed_once(tmp_path: Path) -> None:
    texts = comments(40)
    export, state = tmp_path / "formularz.csv", tmp_path / "stan.db"
    night(write_export(export, texts[:36]), tmp_path / "n1", state)
    old = tmp_path / "stary.db"
    with sqlite3.connect(state) as conn, sqlite3.connect(old) as copy:
        conn.backup(copy)
    with sqlite3.connect(old) as conn:  # the file as schema 3 left it
        conn.execute("ALTER TABLE comments DROP COLUMN cluster_key")
        conn.execute("ALTER TABLE comments DROP COLUMN cluster_found")
        conn.execute("DROP TABLE cluster_memo")
        conn.execute("PRAGMA user_version = 3")
    write_export(export, texts)
    migrated = night(export, tmp_path / "stary", old)
    kept = night(export, tmp_path / "n2", state)
    assert migrated["counts"]["keyed"] == 40 and kept["counts"]["keyed"] == 4
    assert (tmp_path / "stary" / "comments.csv").read_bytes() == (tmp_path / "n2" / "comments.csv").read_bytes()
    with sqlite3.connect(old) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM comments WHERE cluster_key = ''").fetchone()[0] == 0


def _start(export: Path, out: Path, state: Path | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "pipeline", "run", str(export), "--out", str(out)]
    return subprocess.Popen(args + (["--state", str(state)] if state else []), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_runs_at_once_one_exits_3_and_the_folder_holds_one_runs_files(tmp_path: Path) -> None:
    small = write_export(tmp_path / "a" / "formularz.csv", comments(4))
    large = write_export(tmp_path / "b" / "formularz.csv", comments(9))
    out = tmp_path / "out"
    runs = [_start(small, out), _start(large, out)]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in runs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 3], [err for _, err in results]
    message = next(err for code, err in results if code == 3)
    assert message.count("\n") == 1 and "pid" in message and "komputer" in message
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    rows = len(pd.read_csv(out / "comments.csv"))
    assert rows == manifest["counts"]["written"] == len(uwagi_sheet(out / "triage.xlsx"))


def test_a_run_turned_away_leaves_the_holders_new_folder_and_lock_in_place(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "nowy"
    with hold_run(out, None):  # the holder created the folder and has written nothing yet
        with monkeypatch.context() as m, pytest.raises(LockHeld):
            m.setattr(Path, "exists", lambda self: False)  # started at the same moment: it too found no folder
            with hold_run(out, None):
                pass
        assert (out / LOCK_NAME).is_file()
        with pytest.raises(LockHeld):  # the lock still guards the folder
            with hold_run(out, None):
                pass
    assert not out.exists()  # the holder, leaving it empty, removes it


def test_a_killed_run_leaves_nothing_a_rerun_does_not_repair(tmp_path: Path) -> None:
    texts = comments(16)
    export = write_export(tmp_path / "formularz.csv", texts[:10])
    night(export, tmp_path / "base" / "out", tmp_path / "base" / "stan.db")
    write_export(export, texts)

    def state_rows(path: Path) -> list[tuple]:
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT comment_id, content_sha, first_seen, last_seen, status, label, cluster_id, "
                                "outputs, row_json FROM comments ORDER BY comment_id").fetchall()

    reference = tmp_path / "ref"
    shutil.copytree(tmp_path / "base", reference)
    # Timed as the killed runs are, in a process of its own (start-up included); a kill lands between a fifth and half
    # of that time, so it stops a run, not one already done, even when a killed run is faster than this one.
    start = time.perf_counter()
    assert _start(export, reference / "out", reference / "stan.db").wait(timeout=600) == 0
    duration = time.perf_counter() - start
    for seed in (1, 2, 3):
        work = tmp_path / f"seed{seed}"
        shutil.copytree(tmp_path / "base", work)
        run = _start(export, work / "out", work / "stan.db")
        time.sleep(random.Random(seed).uniform(0.2, 0.5) * duration)
        assert run.poll() is None, "the run ended before it was killed"
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        night(export, work / "out", work / "stan.db")
        assert state_rows(work / "stan.db") == state_rows(reference / "stan.db")
        assert (work / "out" / "comments.csv").read_bytes() == (reference / "out" / "comments.csv").read_bytes()
        assert not (work / "out" / STAGING_NAME).exists()
        assert not [p for p in (work / "out").iterdir() if p.name.endswith(".tmp")]


def test_leftovers_of_a_killed_run_are_removed_and_run_json_comes_last(tmp_path: Path) -> None:
    export = write_export(tmp_path / "formularz.csv", comments(3))
    out = tmp_path / "out"
    (out / STAGING_NAME).mkdir(parents=True)
    (out / STAGING_NAME / "comments.csv").write_text("połowa", encoding="utf-8")
    (out / ".comments.csv.abc123.tmp").write_text("tekst z danymi", encoding="utf-8")
    assert main(["run", str(export), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".uwagi.lock", "clusters.csv", "comments.csv", "research.csv", "research.parquet", "run.json",
         "themes.csv", "triage.xlsx"])
    outputs = [p for p in out.iterdir() if p.name != ".uwagi.lock"]  # the lock is emptied when the run ends
    assert max(outputs, key=lambda p: p.stat().st_mtime_ns).name == "run.json"


def test_learn_from_the_state_gives_the_corrections_of_the_latest_workbook(tmp_path: Path) -> None:
    base = comments(20)
    export, out, state = tmp_path / "formularz.csv", tmp_path / "wyniki", tmp_path / "stan.db"
    night(write_export(export, base), out, state)
    ids = pd.read_csv(out / "comments.csv", dtype=str, keep_default_na=False)["comment_id"].tolist()
    goals = list(load_workbook(out / "triage.xlsx", read_only=True)["Słownik celów"].iter_rows(values_only=True))
    goal_id, goal_name = goals[1][0], goals[2][1]  # staff pick a goal by id or by its name in the dropdown
    e = next(i for i, t in enumerate(base) if len(t) > 200 and i > 5)
    staff_edit(out / "triage.xlsx", {ids[0]: {"Cel – korekta": goal_id, "Odpowiedź": "Dziękujemy."},
                                     ids[2]: {"Cel – korekta": goal_name},
                                     ids[e]: {"Status – decyzja": "uwzgledniona"},
                                     ids[3]: {"Osoba odpowiedzialna": "A. Nowak"}}, who="Anna")
    # Night 2: the comment with a decision edited, two new ones; the night-2 workbook shows every entry again.
    night(write_export(export, [t + " Dopisuję zdanie." if i == e else t for i, t in enumerate(base)]
                       + comments(22)[20:]), out, state)

    from_workbook = read_workbook(out / "triage.xlsx", resolve_classifier(Config()).taxonomy)
    assert main(["learn", "--state", str(state), "--out", str(tmp_path / "model")]) == 0
    log = [json.loads(line) for line in (tmp_path / "model" / "corrections.jsonl").read_text("utf-8").splitlines()]
    values = ("fingerprint", "comment_id", "text", "label", "decision", "answer")
    assert [{k: r[k] for k in values} for r in log] == [{k: getattr(r, k) for k in values} for r in from_workbook]
    assert {r["comment_id"] for r in log} == {ids[0], ids[2], ids[e]}
    # Provenance: the workbook and row staff typed the entry in, not the state file.
    assert all(r["workbook"] == "triage.xlsx" and r["row"] > 1 and len(r["workbook_sha256"]) == 64 for r in log)
    learned = json.loads((tmp_path / "model" / "learn.json").read_text("utf-8"))
    assert learned["state"] == "stan.db" and learned["counts"]["labels"] == 2
    assert [r["decision"] for r in log if r["comment_id"] == ids[e]] == ["uwzględniona"]


def test_learn_from_a_state_without_staff_entries_or_a_damaged_one_exits_2(tmp_path: Path, capsys) -> None:
    export, state = write_export(tmp_path / "formularz.csv", comments(8)), tmp_path / "stan.db"
    night(export, tmp_path / "out", state)
    assert main(["learn", "--state", str(state), "--out", str(tmp_path / "m1")]) == 2
    assert "plik stanu nie zawiera nowych poprawek" in capsys.readouterr().err
    damaged = tmp_path / "uszkodzony.db"
    damaged.write_bytes(b"to nie jest baza")
    assert main(["learn", "--state", str(damaged), "--out", str(tmp_path / "m2")]) == 2
    assert "uszkodzony" in capsys.readouterr().err
    assert not (tmp_path / "m1").exists() and not (tmp_path / "m2").exists()


def test_a_night_starts_worker_processes_only_for_the_new_comments_costly_stages(tmp_path: Path, monkeypatch) -> None:
    """Corrections and triage cost less per row than a worker costs to start: on a night they run in the process."""
    mapped: list[list[str]] = []

    class InProcess:  # the pool's interface, recording which stages would go to workers
        def __init__(self, cfg: Config, jobs: int, warm: pd.DataFrame, stages: object):
            self.cfg = cfg

        def __enter__(self) -> "InProcess":
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def map(self, df: pd.DataFrame, stages: list) -> tuple[pd.DataFrame, dict]:
            mapped.append([s.info.name for s in stages])
            return process(df, self.cfg, stages)

    monkeypatch.setattr(local, "WorkerPool", InProcess)
    texts, export = comments(20), tmp_path / "formularz.csv"
    cfg = Config(engine=EngineConfig(jobs=2, pool_min_rows=1), state=StateConfig(path=tmp_path / "stan.db"))
    for n, out in ((12, "n1"), (20, "n2")):
        run_job([write_export(export, texts[:n])], cfg.with_(export=ExportConfig(out_dir=tmp_path / out)))
    assert mapped and all(set(names) <= {"clean", "redact", "classify"} for names in mapped)
    assert (pd.read_csv(tmp_path / "n2" / "comments.csv", dtype=str)["change"] == CHANGE_NEW).sum() == 8
