"""The Dask engine gives the local engine's table: same ids, labels, clusters and priorities, however the input is
partitioned, and when a worker dies mid-run. One LocalCluster (2 worker processes) serves the whole module."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl import Workbook
from pandas.testing import assert_frame_equal

pytest.importorskip("distributed")
import cloudpickle  # noqa: E402
import dask  # noqa: E402
import dask.dataframe as dd  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

from pipeline import (  # noqa: E402
    STAGES, ClassifyConfig, Config, ExportConfig, IngestConfig, classify, clean, ingest, process, redact, run_job,
    stage,
)
from pipeline.cli import main  # noqa: E402
from pipeline.cluster import cluster  # noqa: E402
from pipeline.cluster_keys import cluster_keys  # noqa: E402
from pipeline.themes import themes  # noqa: E402
from pipeline.config import EngineConfig, StateConfig  # noqa: E402
from pipeline.engines.dask import DASK_SETTINGS, DaskEngine, cluster_on_dask, partitions  # noqa: E402
from pipeline.engines.dask_reading import read_on_workers  # noqa: E402
from pipeline.engines.dask_themes import themes_on_dask  # noqa: E402
from pipeline.errors import UserError  # noqa: E402
from pipeline.export.research import ResearchContext  # noqa: E402
from pipeline.export.staging import STAGING_NAME  # noqa: E402
from pipeline.ingest import text_digest  # noqa: E402
from quality_data import LODZ_PROPOSALS  # noqa: E402
from synthetic_campaigns import make_corpus  # noqa: E402
from test_spill import cells  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "samples" / "konsultacje_2023_demo.csv"
DEMO_ROWS = 101
# Workers unpickle this module's slow stage by value: they cannot import the tests folder.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def scheduler():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="3GB",
                      dashboard_address=None) as cluster_:
        yield cluster_.scheduler_address


@pytest.fixture(scope="module")
def demo():
    cfg = Config(ingest=IngestConfig(id_col="Nr zgłoszenia", submitter_col="Typ zgłaszającego"))
    comments, _ = ingest([DEMO], cfg.ingest)
    return comments, cfg


@pytest.fixture(scope="module")
def local(demo):
    comments, cfg = demo
    return process(comments, cfg)[0]


def on_dask(cfg: Config, scheduler: str, partition_rows: int, out: Path) -> Config:
    return cfg.with_(engine=EngineConfig(name="dask", scheduler=scheduler, partition_rows=partition_rows),
                     export=ExportConfig(out_dir=out))


@pytest.mark.slow
# One partition, and several of uneven size (the demo's rows do not divide by 7): 3 covered nothing more.
@pytest.mark.parametrize("n_partitions", [1, 7])
def test_dask_engine_gives_the_local_table(scheduler, demo, local, tmp_path, n_partitions):
    comments, cfg = demo
    rows = -(-DEMO_ROWS // n_partitions)
    assert partitions(comments, rows).npartitions == n_partitions
    got, seconds = DaskEngine(ResearchContext()).process(comments, on_dask(cfg, scheduler, rows, tmp_path))
    assert list(seconds) == [s.info.name for s in STAGES]
    assert_frame_equal(got, local)  # every column: ids, labels, clusters, priorities, reasons
    # Into the run's staging folder: the job swaps it in with the other outputs (see test_cli_runs_on_a_dask_scheduler).
    parts = sorted((tmp_path / STAGING_NAME / "research").glob("part-*.parquet"))
    assert len(parts) == n_partitions
    research = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    assert research["comment_id"].tolist() == local["comment_id"].tolist()
    assert "text" not in research  # the original text never reaches researchers


@pytest.fixture(scope="module")
def clustered():
    """1,500 synthetic comments (campaigns, near-duplicates, exact copies) and the cluster stage's table of them."""
    corpus = make_corpus(1500, seed=3).frame
    corpus["source_file"] = "a.csv"
    return corpus, cluster(corpus, Config())


@pytest.mark.parametrize("keyed", [False, True])
def test_clustering_on_partitions_matches_the_stage(scheduler, clustered, keyed):
    """Campaigns, near-duplicates and exact copies spread over partitions land in the same clusters, with the same
    representatives and added text, as the stage finds in one table; whether the partitions bring the cores and
    signatures of the row-wise `cluster_keys` stage (as in a run) or not."""
    corpus, expected = clustered
    cfg = Config()
    with Client(scheduler), dask.config.set(DASK_SETTINGS):
        frame = partitions(corpus, 220)
        if keyed:
            frame = frame.map_partitions(cluster_keys, cfg, meta=cluster_keys(frame._meta, cfg))
        got = cluster_on_dask(frame, cfg).compute()
    assert (expected["cluster_size"] > 1).sum() > 500
    assert_frame_equal(got.sort_index(), expected)


def use_cache(folder: Path, seeded: Path, monkeypatch, client: Client) -> None:
    """A vector cache of its own, holding what the session's seeded cache holds, for this process and the workers."""
    shutil.copytree(seeded, folder)
    monkeypatch.setenv("UWAGI_CACHE_DIR", str(folder))
    client.run(os.environ.__setitem__, "UWAGI_CACHE_DIR", str(folder))


@pytest.mark.slow
def test_one_budget_of_new_sentence_vectors_for_the_batch(scheduler, tmp_path, monkeypatch, vector_cache):
    """With `--encoder auto`, a partition embeds no new vector itself: the least certain new comments of the whole
    batch are embedded within the one budget, as one process picks them."""
    sample = pd.read_csv(DEMO, sep=";", dtype=str, encoding="utf-8-sig")["Treść uwagi"].tolist()
    path = tmp_path / "uwagi.csv"
    pd.DataFrame({"Treść uwagi": sample + make_corpus(200, seed=11).frame["text_clean"].tolist()}).to_csv(path)
    cfg = Config(classify=ClassifyConfig(encoder="auto", encoder_budget=6))
    comments, _ = ingest([path], cfg.ingest)
    stages = (clean, redact, classify)
    with Client(scheduler) as client:
        try:
            use_cache(tmp_path / "one", vector_cache, monkeypatch, client)
            local, _ = process(comments, cfg, stages)
            use_cache(tmp_path / "dask", vector_cache, monkeypatch, client)
            got, _ = DaskEngine().process(comments, on_dask(cfg, scheduler, 60, tmp_path), stages)
        finally:
            client.run(os.environ.__setitem__, "UWAGI_CACHE_DIR", str(vector_cache))
    assert 0 < local.attrs["encoder"]["embedded_new"] <= 6
    assert_frame_equal(got, local)


def informacje(workbook: Path) -> dict[str, str]:
    return {str(row[0]): row[1] for row in openpyxl.load_workbook(workbook)["Informacje"].iter_rows(values_only=True)
            if row and row[0]}


@pytest.mark.slow
def test_the_encoder_report_is_the_local_runs(scheduler, tmp_path, monkeypatch, vector_cache, capsys):
    """`--encoder auto` over three files (three partitions): run.json's encoder report, the stderr line and the
    Informacje sheet name the comments the semantic model decided and the new vectors, as the local engine's do."""
    sample = pd.read_csv(DEMO, sep=";", dtype=str, encoding="utf-8-sig")["Treść uwagi"].tolist()
    texts = sample + make_corpus(60, seed=5).frame["text_clean"].tolist()
    inputs = []
    for i in range(3):
        inputs.append(tmp_path / f"uwagi{i}.csv")
        pd.DataFrame({"Treść uwagi": texts[i::3]}).to_csv(inputs[-1], sep=";", index=False)
    said = {}
    with Client(scheduler) as client:
        try:
            for engine in ("local", "dask"):
                use_cache(tmp_path / f"cache-{engine}", vector_cache, monkeypatch, client)
                out = tmp_path / engine
                args = ["run", *map(str, inputs), "--out", str(out), "--encoder", "auto", "--encoder-budget", "4",
                        "--engine", engine] + (["--scheduler", scheduler] if engine == "dask" else [])
                assert main(args) == 0
                report = json.loads((out / "run.json").read_text(encoding="utf-8"))["encoder"]
                line = [x for x in capsys.readouterr().err.splitlines() if "model semantyczny" in x]
                said[engine] = report, line, informacje(out / "triage.xlsx")["Model semantyczny"]
        finally:
            client.run(os.environ.__setitem__, "UWAGI_CACHE_DIR", str(vector_cache))
    report = said["local"][0]
    assert report["used"] and report["embedded_new"] == 4 and 4 < report["semantic"] == len(report["semantic_ids"])
    assert said["dask"] == said["local"]


@stage("slow", requires=("text_clean",), assigns=())
def slow(df, cfg):
    time.sleep(1.5)  # long enough for the test to kill the worker running it
    return df


@pytest.mark.slow
def test_a_worker_killed_mid_run_changes_nothing(scheduler, demo, tmp_path):
    comments, cfg = demo
    stages = (clean, redact, slow, cluster)
    local, _ = process(comments, cfg, (clean, redact, cluster))  # `slow` only takes time
    result: dict[str, pd.DataFrame] = {}
    run = threading.Thread(target=lambda: result.setdefault("table", DaskEngine().process(
        comments, on_dask(cfg, scheduler, 26, tmp_path), stages)[0]))
    killed = None
    with Client(scheduler) as client:
        run.start()
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline:
            busy = [w for w, keys in client.processing().items() if any("slow" in str(k) for k in keys)]
            if busy:
                killed = busy[0]
                try:
                    client.run(os._exit, 1, workers=[killed])
                except Exception:  # the worker dies before it can answer
                    pass
            time.sleep(0.05)
        run.join(timeout=300)
    assert killed is not None
    assert_frame_equal(result["table"], local)


@pytest.mark.slow
def test_cli_runs_on_a_dask_scheduler(scheduler, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(DEMO), "--id-col", "Nr zgłoszenia", "--out", str(out), "--engine", "dask",
                 "--scheduler", scheduler])
    assert code == 0
    assert (out / "triage.xlsx").exists() and (out / "comments.csv").exists()
    assert sorted(p.name for p in (out / "research").iterdir()) == ["part-00000.parquet"]
    assert pd.read_parquet(out / "research").shape[0] == DEMO_ROWS


@pytest.mark.slow
def test_research_parts_are_research_parquet_in_parts(scheduler, tmp_path):
    """Two inputs, one consultation each: the parts carry research.parquet's rows, columns and values (consultation,
    taxonomy, submitter type, submission date). The date column is the batch's: in the second file the first date
    column has one cell that is no date, which the partitions before that row do not see."""
    dated = tmp_path / "budzet.csv"
    rows = [{"Treść uwagi": f"Proszę o nowe drzewa i ławki przy ulicy Leśnej numer {i}, bo jest tam za mało cienia.",
             "Typ zgłaszającego": "organizacja" if i % 3 else "osoba prywatna",
             "Data wpływu": "wkrótce" if i == 59 else f"2023-03-{1 + i % 28:02d}",
             "Data złożenia uwagi": f"{1 + i % 28:02d}.04.2023"} for i in range(60)]
    pd.DataFrame(rows).to_csv(dated, sep=";", index=False)
    cfg = Config(ingest=IngestConfig(submitter_col="Typ zgłaszającego"),
                 engine=EngineConfig(name="dask", scheduler=scheduler, partition_rows=25),
                 export=ExportConfig(out_dir=tmp_path / "out", consultation=("Program 2023", "Budżet obywatelski")))
    run_job([DEMO, dated], cfg)
    parts = sorted((tmp_path / "out" / "research").glob("part-*.parquet"))
    assert len(parts) == 8  # 101 rows in 5 partitions, 60 in 3
    research = pd.read_parquet(tmp_path / "out" / "research.parquet")
    assert research["consultation"].value_counts().to_dict() == {"Program 2023": DEMO_ROWS, "Budżet obywatelski": 60}
    assert research["submitted"].notna().sum() == 60
    assert research.loc[DEMO_ROWS, "submitted"] == pd.Timestamp("2023-04-01")
    assert_frame_equal(pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True), research)


def test_scheduler_without_dask_engine_is_refused(tmp_path, capsys):
    code = main(["run", str(DEMO), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:8786"])
    assert code == 2
    assert "--engine dask" in capsys.readouterr().err


@pytest.mark.slow
def test_api_docs_dask_example_runs(scheduler, tmp_path):
    """The Dask example of docs/api.md, against this module's cluster."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    block = re.search(r"^```py\n(.*?)^```", text.split("## On a Dask cluster")[1], re.S | re.M).group(1)
    cfg = Config(ingest=IngestConfig(id_col="Nr zgłoszenia"))
    namespace = {"cfg": cfg, "out": tmp_path / "demo", "ExportConfig": ExportConfig, "run_job": run_job}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(block.replace("tcp://10.0.0.5:8786", scheduler), namespace)
    finally:
        os.chdir(cwd)
    assert namespace["result"].manifest["counts"]["written"] == DEMO_ROWS


@pytest.mark.slow
def test_nightly_runs_on_dask_give_the_local_nights_research_in_parts(scheduler, tmp_path):
    """The second night's table is finished after the engine (stored rows, stable cluster ids, a withdrawn comment):
    research/ holds that table, as research.parquet does, and both are the local engine's nights."""
    texts = pd.read_csv(DEMO, sep=";", dtype=str, encoding="utf-8-sig")["Treść uwagi"].tolist()[:20]
    export = tmp_path / "formularz.csv"
    research = {}
    for engine in ("local", "dask"):
        out, state = tmp_path / engine, tmp_path / f"{engine}.db"
        cfg = Config(engine=EngineConfig(name=engine, scheduler=scheduler if engine == "dask" else None,
                                         partition_rows=8),
                     export=ExportConfig(out_dir=out), state=StateConfig(path=state))
        for night in (texts[:12], texts[1:]):
            pd.DataFrame({"Treść uwagi": night}).to_csv(export, sep=";", index=False)
            run_job([export], cfg)
        research[engine] = pd.read_parquet(out / "research.parquet")
    parts = sorted((tmp_path / "dask" / "research").glob("part-*.parquet"))
    assert len(parts) == 3  # 19 comments tonight and the withdrawn one, 8 rows a partition
    assert_frame_equal(pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True), research["dask"])
    assert len(research["dask"]) == 20
    assert_frame_equal(research["dask"], research["local"])


def mixed_inputs(folder: Path) -> Path:
    """A folder as staff get it: a cp1250 CSV with `;` (a ragged row, an entity, --id-col values repeated and one
    missing), JSON Lines with a broken line, a workbook, a file of the same name in a subfolder, a Word 97 file
    that is skipped, and one text repeated across files."""
    shared = "Proszę o więcej zieleni w centrum miasta, bo latem jest za gorąco."
    (folder / "sub").mkdir(parents=True)
    rows = ["Nr;Treść uwagi;status", f"A1;{shared};x", 'A1;"Dłuższe konsultacje &quot;on-line&quot;";y',
            "A1-2;Inna uwaga o ścieżkach rowerowych;z", ";Bez numeru, ale z treścią;", "A7;zła;nadmiarowe;pole"]
    (folder / "uwagi.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1250"))
    (folder / "sub" / "uwagi.csv").write_text(f"Nr;Treść uwagi\nA1;{shared}\nB2;Więcej ławek w parku\n",
                                              encoding="utf-8")
    lines = [json.dumps({"Nr": "A1", "Treść uwagi": shared, "Kanał": "formularz"}, ensure_ascii=False),
             "{nie json", json.dumps({"Nr": "", "Treść uwagi": shared, "Kanał": "e-mail"}, ensure_ascii=False)]
    (folder / "formularz.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    book = Workbook()
    book.active.append(["Nr", "Treść uwagi", "Kwota"])
    for i in range(7):
        book.active.append([f"W{i % 3}", f"Uwaga {i} do budżetu dzielnicy na rok 2024", 100 * i])
    book.save(folder / "wnioski.xlsx")
    (folder / "stare.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    return folder


@pytest.mark.slow
def test_inputs_read_on_the_workers_give_the_local_outputs(scheduler, tmp_path, monkeypatch):
    """A plain run with `--engine dask` reads the files on the workers (the client never calls ingest or a reader)
    and writes the local engine's comments.csv, clusters.csv and run.json counts, ids and files as read."""
    inputs = [mixed_inputs(tmp_path / "in")]
    ingest_config = IngestConfig(id_col="Nr")
    local = run_job(inputs, Config(ingest=ingest_config, export=ExportConfig(out_dir=tmp_path / "local")))

    def not_here(*args, **kwargs):
        raise AssertionError("the client read an input")

    monkeypatch.setattr("pipeline.job.ingest", not_here)
    monkeypatch.setattr("pipeline.inputs.read_input", not_here)
    cfg = Config(ingest=ingest_config, export=ExportConfig(out_dir=tmp_path / "dask"),
                 engine=EngineConfig(name="dask", scheduler=scheduler, partition_rows=3))
    got = run_job(inputs, cfg)
    for name in ("comments.csv", "clusters.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    for key in ("inputs", "skipped", "counts", "pii_columns"):
        assert got.manifest[key] == local.manifest[key], key
    assert local.manifest["counts"] == {**local.manifest["counts"], "read": 17, "errors": 2, "skipped_files": 1}
    comments = got.comments.set_index("comment_id")
    assert comments.loc[["A1", "A1-2", "A1-3", "A1-4", "A1-5", "W0-3"], "source_row"].tolist() == [1, 4, 2, 2, 3, 8]
    assert comments.loc["A1-5", "text"] == 'Dłuższe konsultacje "on-line"'  # decoded after the ids
    assert comments.loc[comments["Kanał"] == "e-mail"].index.str.endswith("-2").all()  # the text's second copy
    # Cut as the engine cuts a table read on the client: 3 rows at most, never across two files.
    parts = partitions(local.comments, 3).npartitions
    assert len(list((tmp_path / "dask" / "research").glob("part-*.parquet"))) == parts == 7


def test_ids_read_on_the_workers_are_ingests_across_partitions(scheduler, tmp_path):
    """--id-col values repeated across partitions, one that is another's -2 suffix, one that is a text's hash
    digest, empty ones that fall back to the hash id: the ids the shuffles give are ingest's, one per row."""
    shared = "Więcej zieleni w centrum."
    digest = text_digest(shared)
    rows = [("", shared), (digest, "Inna uwaga"), (digest, "Trzecia uwaga"), ("", shared), ("A1", "Pierwsza"),
            ("A1-2", "Druga"), ("A1", "Kolejna"), ("A1", "Ostatnia")]
    path = tmp_path / "uwagi.csv"
    path.write_text("Nr;Treść uwagi\n" + "".join(f"{n};{t}\n" for n, t in rows), encoding="utf-8")
    cfg = Config(ingest=IngestConfig(id_col="Nr"), engine=EngineConfig(partition_rows=2))
    expected, _ = ingest([path], cfg.ingest)
    with Client(scheduler) as client, dask.config.set(DASK_SETTINGS):
        got = read_on_workers(client, [path], cfg)[0].compute()
        with pytest.raises(UserError, match="brak kolumny identyfikatora"):  # raised on a worker, told as here
            read_on_workers(client, [path], cfg.with_(ingest=IngestConfig(id_col="Numer")))
    assert expected["comment_id"].tolist()[:4] == [f"{digest}-1", digest, f"{digest}-2", f"{digest}-2-2"]
    assert_frame_equal(got.reset_index(drop=True), expected)


def spy_on_gathers(monkeypatch) -> list[tuple[int, list[str]]]:
    """The rows and columns of every table the client computes from partitions; the engine's gather of the final
    table (`Client.compute`) fails the test."""
    seen: list[tuple[int, list[str]]] = []
    compute = dd.DataFrame.compute

    def spied(self, *args, **kwargs):
        table = compute(self, *args, **kwargs)
        seen.append((len(table), list(table.columns)))
        return table

    def gathered(self, *args, **kwargs):
        raise AssertionError("the client gathered the final table")

    monkeypatch.setattr(dd.DataFrame, "compute", spied)
    monkeypatch.setattr(Client, "compute", gathered)
    return seen


@pytest.fixture(scope="module")
def before_themes(tmp_path_factory):
    """300 Łódź proposals and 60 campaign letters through every stage before themes (several goals past a small
    fit sample)."""
    path = tmp_path_factory.mktemp("themes") / "uwagi.csv"
    texts = pd.read_csv(LODZ_PROPOSALS)["opis"].head(300).tolist() + make_corpus(60, seed=7).frame["text_clean"].tolist()
    pd.DataFrame({"Treść uwagi": texts}).to_csv(path, sep=";", index=False)
    cfg = Config(classify=ClassifyConfig(encoder="off"))
    comments, _ = ingest([path], cfg.ingest)
    return process(comments, cfg, STAGES[:-1])[0], cfg


@pytest.mark.parametrize("fit_sample", [3000, 40])
def test_themes_are_fitted_on_the_client_and_placed_on_the_workers(scheduler, before_themes, monkeypatch,
                                                                   fit_sample):
    """Each goal fitted on the local stage's sample, every other comment placed at the nearest theme on the workers:
    the local stage's theme column and themes table (key phrases, representative quotes, sizes, stability), while
    the client gathers no text but the quotes and the content lemmas of the samples only."""
    df, cfg = before_themes
    cfg = cfg.with_(themes=replace(cfg.themes, fit_sample=fit_sample))
    expected = themes(df, cfg)
    table = pd.DataFrame(expected.attrs["themes"])
    assert table.groupby("goal").size().max() > 1  # goals split into themes
    attrs: dict = {}
    seen = spy_on_gathers(monkeypatch)
    with Client(scheduler), dask.config.set(DASK_SETTINGS):
        out = themes_on_dask(themes, attrs, partitions(df, 70), cfg)
        gathered = list(seen)
        got = out.compute()
    assert_frame_equal(got, expected)
    assert_frame_equal(pd.DataFrame(attrs["themes"]), table)
    assert [n for n, columns in gathered if "text_clean" in columns] == [len(table)]
    read = [n for n, columns in gathered if "content" in columns]
    assert sum(read) <= fit_sample * table["goal"].nunique() and (fit_sample > len(df) or sum(read) < len(df))


def spilled_config(inputs: str, out: Path) -> Config:
    """The local run's configuration for `inputs` (the demo's workbook a big one, listing the highest priorities)."""
    mixed = inputs == "mixed"
    return Config(ingest=IngestConfig(id_col="Nr" if mixed else "Nr zgłoszenia",
                                      submitter_col=None if mixed else "Typ zgłaszającego"),
                  classify=ClassifyConfig(encoder="off"), export=ExportConfig(out_dir=out, workbook_max_comments=30))


@pytest.fixture(scope="module")
def local_runs(tmp_path_factory):
    """The local engine's run of the mixed folder or the demo, each run once for the module."""
    runs = {}

    def run(inputs: str):
        if inputs not in runs:
            folder = tmp_path_factory.mktemp(inputs)
            paths = [mixed_inputs(folder / "in")] if inputs == "mixed" else [DEMO]
            runs[inputs] = paths, run_job(paths, spilled_config(inputs, folder / "local")), folder / "local"
        return runs[inputs]

    return run


@pytest.mark.slow
@pytest.mark.parametrize(("inputs", "spill_rows", "partition_rows"),
                         [("mixed", 5, 3), ("demo", 23, 25), ("demo", 23, 101)])
def test_a_batch_the_local_engine_spills_is_exported_from_the_partitions(scheduler, tmp_path, monkeypatch, local_runs,
                                                                         inputs, spill_rows, partition_rows):
    """Past `spill_rows` the Dask engine writes the final table's partitions as part files on the workers and the
    job exports them as it exports a spilled local run: the very files of the local engine, while the client never
    gathers the final table nor holds every row's texts."""
    paths, local, expected = local_runs(inputs)
    seen = spy_on_gathers(monkeypatch)
    got = run_job(paths, spilled_config(inputs, tmp_path / "dask").with_(engine=EngineConfig(
        name="dask", scheduler=scheduler, spill_rows=spill_rows, partition_rows=partition_rows)))
    for name in ("comments.csv", "clusters.csv", "themes.csv", "research.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (expected / name).read_bytes(), name
    assert_frame_equal(pd.read_parquet(tmp_path / "dask" / "research.parquet"),
                       pd.read_parquet(expected / "research.parquet"))
    if inputs == "demo":  # a big workbook: the whole table beside it, which the run's `comments` reads back
        assert_frame_equal(pd.read_parquet(tmp_path / "dask" / "comments.parquet"),
                           pd.read_parquet(expected / "comments.parquet"))
        assert_frame_equal(got.comments, local.comments, check_dtype=False, check_index_type=False)
    assert cells(tmp_path / "dask" / "triage.xlsx") == cells(expected / "triage.xlsx")
    for key in ("inputs", "skipped", "counts", "pii_columns", "themes"):
        assert got.manifest[key] == local.manifest[key], key
    assert got.manifest["outputs"] == [*local.manifest["outputs"][:-1], "research", "run.json"]
    rows = local.manifest["counts"]["written"]
    assert all(n < rows or "text_clean" not in columns for n, columns in seen), seen
    assert not (tmp_path / "dask" / STAGING_NAME).exists()  # nor the part files in it
