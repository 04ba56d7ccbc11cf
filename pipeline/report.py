"""raport.html: one self-contained page about a run for people who would rather look than read.

Built from the output folder only (`run.json`, `research.parquet`, `clusters.csv`, `themes.csv`), so it can be made
again at any time and never sees the original text or personal columns. Charts are inline SVG drawn by matplotlib:
no scripts, no external files, so the page opens the same from an e-mail attachment as from the folder.
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

import pandas as pd

from pipeline.errors import UserError, plural
from pipeline.export.atomic import write_text_atomic
from pipeline.export.research import RESEARCH_FILES

REPORT = "raport.html"
_NEEDED = ("run.json", RESEARCH_FILES[1])
_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;
vertical-align:top}td.n{text-align:right}figure{margin:1rem 0}figure svg{max-width:100%;height:auto}
.counts{display:flex;gap:1rem;flex-wrap:wrap}.counts div{border:1px solid #ccc;padding:.5rem 1rem;border-radius:.3rem}
.counts b{display:block;font-size:1.4rem}
"""


def _svg(series: pd.Series, title: str) -> str:
    """A horizontal bar chart of `series` (label -> count) as inline SVG, largest at the top."""
    # Imported here, not with the module: matplotlib costs every `uwagi` command a second or two of starting up.
    # A Figure of its own draws to a file without pyplot, so the caller's backend (a notebook's) stays as it was.
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    series = series.sort_values()
    fig = Figure(figsize=(7, 0.35 * len(series) + 1.2))
    ax = fig.subplots()
    ax.barh([str(i) for i in series.index], series.to_numpy(), color="#3b6ea5")
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    for y, value in enumerate(series.to_numpy()):
        ax.text(value, y, f" {value}", va="center")
    fig.tight_layout()
    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "none"}):  # text stays text: smaller, searchable, the reader's font
        fig.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]  # the XML prologue and DOCTYPE are not allowed inside HTML


def _figure(series: pd.Series, title: str) -> str:
    if series.empty:
        return f"<p>{html.escape(title)}: brak danych.</p>"
    return f'<figure class="chart" aria-label="{html.escape(title)}">{_svg(series, title)}</figure>'


def _table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for row in df.itertuples(index=False):
        cells = "".join(f'<td class="n">{v}</td>' if isinstance(v, (int, float)) else f"<td>{html.escape(str(v))}</td>"
                        for v in row)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _read(out_dir: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    for name in _NEEDED:
        if not (out_dir / name).is_file():
            raise UserError(f"brak pliku {name}; podaj katalog wyników polecenia uwagi run", path=out_dir)
    manifest = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
    research = pd.read_parquet(out_dir / RESEARCH_FILES[1])
    optional = [pd.read_csv(out_dir / n, dtype=str, keep_default_na=False) if (out_dir / n).is_file()
                else pd.DataFrame() for n in ("clusters.csv", "themes.csv")]
    return manifest, research, optional[0], optional[1]


def build_report(out_dir: Path) -> str:
    """The page's HTML for the output folder `out_dir`."""
    manifest, research, clusters, themes = _read(out_dir)
    counts = manifest.get("counts", {})
    consultation = ", ".join(map(str, research["consultation"].unique())) if "consultation" in research else ""
    labelled = research[research["label"].fillna("").astype(str) != ""]
    parts = [f"<h1>Raport z konsultacji{': ' + html.escape(consultation) if consultation else ''}</h1>",
             f"<p>Przygotowano {html.escape(str(manifest.get('created', '')))} programem uwagi "
             f"{html.escape(str(manifest.get('version', '')))}.</p>",
             '<div class="counts">'
             + "".join(f"<div><b>{n}</b>{html.escape(label)}</div>" for n, label in (
                 (counts.get("written", len(research)), "uwag"), (len(clusters), "grup (kampanie i duplikaty)"),
                 (len(themes), "tematów"), (counts.get("empty", 0), "pustych"), (counts.get("errors", 0),
                                                                                "błędów odczytu")))
             + "</div>",
             "<h2>Cele</h2>", _figure(labelled["label"].value_counts(), "Uwagi według celu"),
             "<h2>Statusy</h2>", _figure(research["status"].value_counts(), "Uwagi według statusu"),
             "<h2>Kampanie i duplikaty</h2>"]
    if len(clusters):
        sizes = clusters["size"].astype(int)
        kinds = research.drop_duplicates("cluster_id").query("cluster_size > 1")
        if "cluster_kind" in kinds and kinds["cluster_kind"].astype(bool).any():
            parts.append(_figure(kinds["cluster_kind"].value_counts(), "Grupy według rodzaju"))
        shown = clusters.head(15)
        parts.append(_figure(pd.Series(sizes.head(15).to_numpy(), index=shown["cluster_id"]),
                             "Największe grupy (liczba uwag)"))
        parts.append(_table(shown[["cluster_id", "size", "template"]].rename(
            columns={"cluster_id": "Grupa", "size": "Liczba uwag", "template": "Wspólny tekst"}).assign(
            **{"Liczba uwag": sizes.head(15).to_numpy()})))
    else:
        parts.append("<p>Nie znaleziono kampanii ani duplikatów.</p>")
    parts.append("<h2>Tematy</h2>")
    if len(themes):
        themes = themes.assign(size=themes["size"].astype(int))
        parts.append(_figure(themes.groupby("goal")["size"].size(), "Liczba tematów według celu"))
        parts.append(_table(themes[["theme", "size", "key_phrases", "quote"]].rename(columns={
            "theme": "Temat", "size": "Liczba uwag", "key_phrases": "Słowa kluczowe", "quote": "Przykład"})))
    else:
        parts.append("<p>Tematów nie wyszukiwano (uwagi run --no-themes) albo nie ma uwag do analizy.</p>")
    parts.append(f"<p>{plural(len(research), 'uwaga', 'uwagi', 'uwag')} w pliku research.parquet; "
                 "raport nie zawiera oryginalnej treści ani danych osobowych z kolumn pliku.</p>")
    return ("<!DOCTYPE html><html lang=\"pl\"><head><meta charset=\"utf-8\"><title>Raport uwagi</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>")


def write_report(out_dir: Path) -> Path:
    return write_text_atomic(out_dir / REPORT, build_report(out_dir))
