"""triage.xlsx: the staff workbook, in Polish.

Sheets: "Podsumowanie" (counts and native charts), "Uwagi" (every comment, sorted by priority, with three columns
staff fill in), "Kampanie" (one row per cluster), "Do weryfikacji" (flagged comments), "Słownik celów" (the
taxonomy and the lists behind the dropdowns) and "Informacje" (the run manifest).

Every text cell is written as a string (never a formula, number or link), so a comment starting with `=`, `+`, `-`
or `@` cannot execute in Excel or LibreOffice. The only formulas are the links of "Kampanie" and "Do weryfikacji"
to rows of "Uwagi" (`pipeline.export.row_links`), made of cell references and fixed labels.
The pure `*_view` functions build what each sheet shows; the `write_*` functions only lay it out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from pipeline.clean import fold
from pipeline.columns import OUTPUT_COLUMNS
from pipeline.config import Config
from pipeline.corrections import fingerprint
from pipeline.encoder import encoder_line
from pipeline.errors import plural
from pipeline.export.atomic import write_atomic
from pipeline.export.gc_pause import collector_paused
from pipeline.export.cell_types import DATE_FORMAT, typed_cells
from pipeline.export.row_links import LinkSheet, RowLink
from pipeline.export.big_workbook import big_workbook_note, fitting, listed_comments
from pipeline.export.tables import FORMULA_STARTS
from pipeline.export.themes import THEME_LAYOUT, themes_view
from pipeline.sheets import (
    FORMAT_KEY, FORMAT_VALUE, GROUP_PREFIX, H_ANSWER, H_CAMPAIGN, H_DECISION, H_FINGERPRINT, H_ID, H_LABEL, H_LABEL_FIX,
    H_TEXT, INFO_MODEL, INFO_MODEL_SHA256, SHEET_CAMPAIGNS, SHEET_COMMENTS, SHEET_INFO, SHEET_REVIEW, SHEET_SUMMARY,
    SHEET_TAXONOMY, SHEET_THEMES, campaign_cell, label_names,
)
from pipeline.sheets import H_CHANGE, H_NEW
from pipeline.taxonomy import Taxonomy
from pipeline.vocabulary import (
    CHANGE_CHANGED, CHANGE_NEW, CHANGE_WITHDRAWN, DECISIONS, KIND_CAMPAIGN, KIND_DUPLICATE, ROLE_REPRESENTATIVE,
    STATUS_REVIEW,
)

EXCEL_CELL_LIMIT = 32_767
_TRUNCATED = " …[tekst obcięty – pełna treść w comments.csv]"
_RICH_OPEN, _RICH_CLOSE = "<r>", "</r>"
# Texts a table cell cannot get by a plain `write_string`: a formula's start (quote prefix) or a rich string's.
_SPECIAL_STARTS = (*FORMULA_STARTS, _RICH_OPEN)
# One spelling for Python's regexes and Arrow's (RE2): two-digit escapes, the last two characters as themselves.
_ILLEGAL_XML_CHARS = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\ufffe\uffff]"
_ILLEGAL_XML = re.compile(_ILLEGAL_XML_CHARS)



@dataclass(frozen=True)
class Column:
    header: str  # Polish header shown to staff
    width: float
    kind: str = "text"  # text, wrap, number, percent, date, staff, staff_wrap, link, hidden


def cell_text(value: Any) -> str:
    """A value as the string staff see: no XML-illegal characters, within Excel's cell limit."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "tak" if value else "nie"
    text = _ILLEGAL_XML.sub(" ", str(value))  # a space: Word's line break (\v) between two words must not glue them
    if len(text) > EXCEL_CELL_LIMIT:
        text = text[: EXCEL_CELL_LIMIT - len(_TRUNCATED)] + _TRUNCATED
    return text


def text_cells(values: pd.Series) -> tuple[list[str], pa.Array | None] | None:
    """`cell_text` of each value of a text column and, when no cell needed a change, the column in Arrow (the same
    texts, whose lines Arrow counts); None for a column of another type. The column is tested whole, by Arrow:
    its cells need no character replaced and none cut but rarely, and then they are made ready one by one."""
    if not isinstance(values.dtype, pd.StringDtype):
        return None
    texts = values.fillna("").tolist()
    text = pa.array(values, from_pandas=True)
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    if pc.any(pc.match_substring_regex(text, _ILLEGAL_XML_CHARS)).as_py() or \
            (pc.max(pc.utf8_length(text)).as_py() or 0) > EXCEL_CELL_LIMIT:
        return [cell_text(value) for value in texts], None
    return texts, text


def write_text(ws: Any, row: int, col: int, text: str, cell_fmt: Any) -> None:
    """`ws.write_string`, but for a text shaped like xlsxwriter's own rich-string XML ("<r>…</r>"), which it would
    copy into the file unescaped (the cell then reads empty, or as whatever XML a comment smuggled in): such a text
    is written as a rich string of three plain runs in the cell's font, each escaped, so the cell shows it as typed."""
    if text.startswith(_RICH_OPEN) and text.endswith(_RICH_CLOSE):
        ws.write_rich_string(row, col, cell_fmt, text[:1], cell_fmt, text[1:-1], cell_fmt, text[-1:], cell_fmt)
    else:
        ws.write_string(row, col, text, cell_fmt)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value  # NaN is not


def _col(df: pd.DataFrame, name: str, default: Any = "") -> pd.Series:
    return df[name] if name in df.columns else pd.Series([default] * len(df), index=df.index, dtype=object)


def _texts(series: pd.Series) -> pd.Series:
    return series.map(cell_text)


# --------------------------------------------------------------------------------------------- views (pure)


def priority_order(df: pd.DataFrame) -> pd.Index:
    """Row order of "Uwagi": by priority; within one priority a campaign's members stay together, representative
    first, so staff read them as one block; otherwise input order."""
    n = len(df)
    priority = pd.to_numeric(_col(df, "priority", None), errors="coerce").fillna(9).to_numpy()
    cluster = _col(df, "cluster_id", None).fillna(pd.Series(df.index.astype(str), index=df.index)).astype(str)
    first_seen = pd.Series(range(n), index=df.index).groupby(cluster.to_numpy()).transform("min").to_numpy()
    not_rep = (_col(df, "cluster_role", "") != ROLE_REPRESENTATIVE).to_numpy()
    keys = pd.DataFrame({"p": priority, "c": first_seen, "r": not_rep, "i": range(n)})
    return df.index[keys.sort_values(["p", "c", "r", "i"], kind="stable").index.to_numpy()]


def campaign_names(clusters: pd.DataFrame) -> dict[str, str]:
    """cluster_id → "K1", "K2", … for campaigns and "D1", "D2", … for duplicates, in the order of the clusters
    table (largest first)."""
    kinds = clusters["kind"] if "kind" in clusters else pd.Series(KIND_CAMPAIGN, index=clusters.index)
    names, seen = {}, {KIND_CAMPAIGN: 0, KIND_DUPLICATE: 0}
    for cid, kind in zip(clusters["cluster_id"].astype(str), kinds):
        seen[kind] += 1
        names[cid] = f"{GROUP_PREFIX[kind]}{seen[kind]}"
    return names


def shown_text(df: pd.DataFrame, cfg: Config) -> pd.Series:
    """"Treść": the original text for staff, or the redacted one when the configuration says so."""
    redacted = not cfg.export.original_text_in_workbook and "text_clean" in df.columns
    return _col(df, "text_clean" if redacted else "text")


def texts_shown(columns: Sequence[str], cfg: Config) -> set[str]:
    """Of a table with `columns`, the per-row texts "Uwagi" shows (`comments_view`): "Treść", "Dlaczego" and
    "Dopisek nadawcy", and the redacted text when its fingerprints are still to be taken."""
    text = shown_text(pd.DataFrame(columns=list(columns)), cfg).name
    return {text, "evidence", "added_text", *(() if "fingerprint" in columns else ("text_clean",))}


def comments_view(
    df: pd.DataFrame, taxonomy: Taxonomy | None, campaigns: dict[str, str], cfg: Config,
    personal: Sequence[str] = (),
) -> pd.DataFrame:
    """What "Uwagi" shows, one row per comment in `df` order, Polish headers as column names: the analysis, the
    priority and status each beside its reason, the staff columns, then the input's own columns (a submission
    number, the sender; the `personal` ones only with the original text), numbers and dates typed as such."""
    names = label_names(taxonomy)
    cluster = _col(df, "cluster_id", "").astype(str)
    role = _col(df, "cluster_role", "")
    campaign = [campaign_cell(campaigns.get(c, ""), r == ROLE_REPRESENTATIVE) for c, r in zip(cluster, role)]
    view = {
        H_ID: _texts(_col(df, "comment_id")),
        H_TEXT: shown_text(df, cfg),
        H_LABEL: _col(df, "label").map(lambda v: names.get(v, cell_text(v))),
        "Pewność": pd.to_numeric(_col(df, "confidence", None), errors="coerce"),
        "Dlaczego": _col(df, "evidence"),
        "Typ uwagi": _col(df, "comment_type"),
        "Powołane przepisy": _col(df, "cited_provisions"),
        H_CAMPAIGN: pd.Series(campaign, index=df.index),
        "Dopisek nadawcy": _col(df, "added_text"),
        **paper_column(df),
        **change_columns(df),
    }
    staff = {
        H_PRIORITY: pd.to_numeric(_col(df, "priority", None), errors="coerce"),
        H_PRIORITY_REASON: _col(df, "priority_reason"),
        H_STATUS: _col(df, "status"),
        H_STATUS_REASON: status_reasons(df),
        H_LABEL_FIX: _col(df, "label_fix"),
        H_DECISION: _col(df, "decision"),
        H_ANSWER: _col(df, "answer"),
        # The corrections stage already computed it; folding every text again is the slowest part of the export.
        H_FINGERPRINT: df["fingerprint"] if "fingerprint" in df.columns
        else _col(df, "text_clean").map(lambda t: fingerprint(cell_text(t))),
    }
    ours = {fold(h) for h in (*view, *staff)}
    hidden = set() if cfg.export.original_text_in_workbook else set(personal)
    passthrough = {}
    for col in df.columns:
        if col not in OUTPUT_COLUMNS and col not in hidden:
            # An input header equal to one of ours ("Status", "Odpowiedź") must not be read back as a staff column.
            # Personal columns stay as typed: a phone number shown as a number loses its spaces and leading zero.
            shown = df[col] if col in personal else typed_cells(df[col])
            passthrough[f"{col} (z pliku)" if fold(str(col)) in ours else col] = shown
    return pd.DataFrame({**view, **staff, **passthrough}, index=df.index)


def status_reasons(df: pd.DataFrame) -> pd.Series:
    """Why each comment has its status; a comment flagged for review without a reason of its own gets the model's."""
    reason = _col(df, "status_reason").fillna("").astype(str)
    unsure = _col(df, "needs_review", False).fillna(False).astype(bool)
    return reason.where(reason.str.strip() != "", unsure.map({True: "model nie jest pewny celu", False: ""}))


H_PAPER = "Z pisma / skanu"
H_PRIORITY, H_PRIORITY_REASON = "Priorytet", "Powód priorytetu"
H_STATUS, H_STATUS_REASON = "Status", "Powód statusu"
_CHANGE_SHOWN = {CHANGE_CHANGED: "treść zmieniona — sprawdź decyzję", CHANGE_WITHDRAWN: "wycofana z eksportu"}


def change_columns(df: pd.DataFrame) -> dict[str, pd.Series]:
    """Runs with a state: "Nowe" ("tak" on comments new since the last run, ready for a filter) and "Zmiana"."""
    if "change" not in df.columns:
        return {}
    change = df["change"].fillna("")
    return {H_NEW: change.map(lambda c: "tak" if c == CHANGE_NEW else ""),
            H_CHANGE: change.map(lambda c: _CHANGE_SHOWN.get(c, ""))}


def paper_column(df: pd.DataFrame) -> dict[str, pd.Series]:
    """Which comments came from a letter or a scan, and where in it: "skan.pdf, s. 2 – OCR, pewność 91%". Only
    when the batch has such comments, so a workbook from exports alone looks as before."""
    extraction = _col(df, "extraction").fillna("").astype(str)
    if not extraction.ne("").any():
        return {}
    confidence = pd.to_numeric(_col(df, "ocr_confidence", None), errors="coerce")
    marks = []
    for kind, name, page, conf in zip(extraction, _col(df, "source_file"), _col(df, "source_page"), confidence):
        if not kind:
            marks.append("")
            continue
        where = f"{name}, s. {page}" if str(page).strip() else str(name)
        marks.append(f"{where} – OCR, pewność {conf:.0%}" if kind == "ocr" and conf == conf else where)
    return {H_PAPER: pd.Series(marks, index=df.index)}


def comment_columns(view: pd.DataFrame) -> list[Column]:
    widths = {
        H_ID: Column(H_ID, 13), H_TEXT: Column(H_TEXT, 62, "wrap"), H_LABEL: Column(H_LABEL, 24, "wrap"),
        "Pewność": Column("Pewność", 9, "percent"), "Dlaczego": Column("Dlaczego", 26, "wrap"),
        "Typ uwagi": Column("Typ uwagi", 11), "Powołane przepisy": Column("Powołane przepisy", 16, "wrap"),
        H_CAMPAIGN: Column(H_CAMPAIGN, 12, "wrap"), "Dopisek nadawcy": Column("Dopisek nadawcy", 30, "wrap"),
        H_PAPER: Column(H_PAPER, 22, "wrap"),
        H_PRIORITY: Column(H_PRIORITY, 9, "number"), H_PRIORITY_REASON: Column(H_PRIORITY_REASON, 30, "wrap"),
        H_STATUS: Column(H_STATUS, 13, "wrap"), H_STATUS_REASON: Column(H_STATUS_REASON, 30, "wrap"),
        H_LABEL_FIX: Column(H_LABEL_FIX, 24, "staff_wrap"), H_DECISION: Column(H_DECISION, 17, "staff_wrap"),
        H_ANSWER: Column(H_ANSWER, 40, "staff_wrap"), H_FINGERPRINT: Column(H_FINGERPRINT, 12, "hidden"),
    }
    return [widths.get(h) or _input_column(h, view[h]) for h in view.columns]


def _input_column(header: str, values: pd.Series) -> Column:
    """An input column's layout by what it holds (`typed_cells`): numbers and dates centred, text wrapped."""
    first = next((v for v in values if v is not None and not (isinstance(v, float) and pd.isna(v))), None)
    if isinstance(first, datetime):
        return Column(header, 11, "date")
    return Column(header, 9, "number") if _is_number(first) else Column(header, 16, "wrap")


# The link columns of "Kampanie" and "Do weryfikacji" and what their links show.
H_TO_REPRESENTATIVE, TO_REPRESENTATIVE = "Reprezentant w arkuszu Uwagi", "przejdź do reprezentanta"
H_TO_OTHERS, TO_OTHERS = "Pozostałe w arkuszu Uwagi", "przejdź do pierwszej (wszystkie: filtr w kolumnie Kampania)"
H_TO_COMMENT, TO_COMMENT = "W arkuszu Uwagi", "przejdź do uwagi"


def links_where(keys: pd.Series, label: str) -> pd.Series:
    """A link column's cells: the label where the row has a key to look up, empty where it has none."""
    return keys.map(lambda k: label if cell_text(k) else "")


def on_sheet(table: pd.DataFrame, key: str, link: str, listed: pd.Series) -> pd.DataFrame:
    """`table` without the `link` cells whose `key` is not on "Uwagi" (`listed`: the column they are looked up in):
    a big workbook lists only part of the comments, and a link that finds no row would show #N/A."""
    # An index's lookup: `isin` with Arrow text turns the listed values into Python strings first, ten times slower.
    found = pd.Index(listed.astype(str)).unique().get_indexer(table[key].astype(str)) >= 0
    return table.assign(**{link: table[link].where(found, "")})


def review_view(df: pd.DataFrame, taxonomy: Taxonomy | None, cfg: Config) -> pd.DataFrame:
    names = label_names(taxonomy)
    ids = _texts(_col(df, "comment_id"))
    return pd.DataFrame({
        H_ID: ids,
        H_TEXT: shown_text(df, cfg),
        H_LABEL: _col(df, "label").map(lambda v: names.get(v, cell_text(v))),
        "Pewność": pd.to_numeric(_col(df, "confidence", None), errors="coerce"),
        "Powód": status_reasons(df),
        H_PRIORITY: pd.to_numeric(_col(df, "priority", None), errors="coerce"),
        H_TO_COMMENT: links_where(ids, TO_COMMENT),
    }, index=df.index)


# What "Kampanie" reads of each comment.
CAMPAIGN_READS = ("cluster_id", "comment_id", "label")


def campaigns_view(clusters: pd.DataFrame, df: pd.DataFrame, taxonomy: Taxonomy | None,
                   campaigns: dict[str, str]) -> pd.DataFrame:
    names = label_names(taxonomy)
    cluster = _col(df, "cluster_id", "").astype(str)
    in_campaign = df[cluster.isin(campaigns).to_numpy()]
    key = _col(in_campaign, "cluster_id", "").astype(str).tolist()
    # Plain dicts, not a groupby: a pandas group per campaign costs more than the rest of the sheet.
    members: dict[str, list[str]] = {}
    for cid, comment in zip(key, _col(in_campaign, "comment_id").astype(str).tolist()):
        members.setdefault(cid, []).append(comment)
    member_ids = {cid: ", ".join(ids) for cid, ids in members.items()}
    top_label: dict[str, str] = {}
    if "label" in df.columns:
        counts: dict[str, Counter[str]] = {}
        for cid, label in zip(key, in_campaign["label"].fillna("").astype(str).tolist()):
            counts.setdefault(cid, Counter())[label] += 1
        for cid, labels in counts.items():
            top = labels.most_common(1)[0][0]  # the most frequent, the first seen of a tie
            top_label[cid] = names.get(top, top)
    cids = clusters["cluster_id"].astype(str)
    representatives = clusters["representative_id"].astype(str)
    return pd.DataFrame({
        "Kampania": cids.map(campaigns),
        "Rodzaj": clusters["kind"] if "kind" in clusters else KIND_CAMPAIGN,
        "Liczba uwag": clusters["size"].astype(int),
        "Cel (najczęstszy)": cids.map(lambda c: top_label.get(c, "")),
        "Wspólny szablon": clusters["template"],
        "Reprezentant": representatives,
        "Członkowie": cids.map(lambda c: member_ids.get(c, "")),
        H_TO_REPRESENTATIVE: links_where(representatives, TO_REPRESENTATIVE),
        # The group's name in "Kampania" is the bare "K1" on every member but the representative.
        H_TO_OTHERS: links_where(cids.map(campaigns), TO_OTHERS),
    })


def campaign_counts(df: pd.DataFrame, clusters: pd.DataFrame, shown: int = 12) -> list[tuple[str, int]]:
    """Members per campaign (largest first, the tail summed), then the comments outside campaigns."""
    rows = []
    duplicate = (clusters["kind"] == KIND_DUPLICATE) if "kind" in clusters else pd.Series(False, index=clusters.index)
    campaigns = clusters[~duplicate]
    for i, (template, size) in enumerate(zip(campaigns["template"].astype(str), campaigns["size"]), start=1):
        if i > shown:
            rows.append((f"pozostałe kampanie ({len(campaigns) - shown})", int(campaigns["size"].iloc[shown:].sum())))
            break
        start = " ".join(template.split())
        rows.append((f"K{i}: {start[:40]}…" if len(start) > 40 else f"K{i}: {start}", int(size)))
    if duplicate.any():
        groups = int(duplicate.sum())
        rows.append((f"duplikaty ({plural(groups, 'grupa', 'grupy', 'grup')})", int(clusters["size"][duplicate].sum())))
    in_campaigns = int(clusters["size"].sum()) if len(clusters) else 0
    return rows + [("poza kampaniami i duplikatami (uwagi unikalne)", len(df) - in_campaigns)]


def count_table(values: pd.Series, order: Sequence[str] = (), names: dict[str, str] | None = None,
                empty: str = "(brak)") -> list[tuple[str, int]]:
    """(shown name, count) per value: the given order first (zeros included), then the rest by count."""
    counts = values.fillna("").astype(str).replace("", empty).value_counts()
    rows = [(v, int(counts.get(v, 0))) for v in order]
    rows += [(v, int(c)) for v, c in counts.items() if v not in order]
    return [((names or {}).get(v, v), c) for v, c in rows]


# --------------------------------------------------------------------------------------------- layout


_FORMAT_BOOKKEEPING = {"xf_format_indices", "dxf_format_indices", "xf_index", "dxf_index", "_format_key"}


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        self._wb, self._quoted = wb, {}
        base = {"valign": "top", "font_size": 10}
        # A hairline under each body row keeps long wrapped rows apart when printed.
        body = {**base, "bottom": 1, "bottom_color": "#D9D9D9"}
        self.head = wb.add_format({**base, "bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E79",
                                   "border": 1, "border_color": "#BFBFBF", "text_wrap": True})
        self.staff_head = wb.add_format({**base, "bold": True, "bg_color": "#C6E0B4", "border": 1,
                                         "border_color": "#BFBFBF", "text_wrap": True})
        self.text = wb.add_format(body)
        self.wrap = wb.add_format({**body, "text_wrap": True})
        self.number = wb.add_format({**body, "align": "center"})
        self.percent = wb.add_format({**body, "num_format": "0%", "align": "center"})
        self.date = wb.add_format({**body, "num_format": DATE_FORMAT, "align": "center"})
        self.staff = wb.add_format({**body, "text_wrap": True, "bg_color": "#FFF8DC", "locked": False})
        self.link = wb.add_format({**body, "font_color": "#0563C1", "underline": 1, "text_wrap": True})
        self.plain_wrap = wb.add_format({**base, "text_wrap": True})
        self.plain_number = wb.add_format({**base, "align": "center"})
        self.plain_percent = wb.add_format({**base, "num_format": "0%", "align": "center"})
        self.title = wb.add_format({"bold": True, "font_size": 14, "font_color": "#1F4E79"})
        self.subtitle = wb.add_format({"bold": True, "font_size": 11, "font_color": "#1F4E79", "bottom": 1})
        self.bold = wb.add_format({**base, "bold": True, "text_wrap": True})
        self.plain_note = wb.add_format({"italic": True, "font_size": 10, "font_color": "#595959"})
        self.p1 = wb.add_format({"bg_color": "#F4B183", "bold": True})
        self.p2 = wb.add_format({"bg_color": "#FFE699"})
        self.review = wb.add_format({"bg_color": "#FCE4D6", "font_color": "#9C0006", "bold": True})

    def quoted(self, cell_fmt: Any) -> Any:
        """`cell_fmt` with Excel's quote prefix: a text starting with `=`, `+`, `-` or `@` stays text when staff edit
        the cell and press Enter, instead of turning into a formula."""
        if id(cell_fmt) not in self._quoted:
            quoted = self._wb.add_format()
            # A Format has no copy method; its own attributes are its properties (its indices are the workbook's).
            for name, value in vars(cell_fmt).items():
                if name not in _FORMAT_BOOKKEEPING:
                    setattr(quoted, name, value)
            quoted.set_quote_prefix()
            self._quoted[id(cell_fmt)] = quoted
        return self._quoted[id(cell_fmt)]

    def of(self, kind: str) -> Any:
        return {"wrap": self.wrap, "number": self.number, "percent": self.percent, "date": self.date,
                "staff": self.staff, "staff_wrap": self.staff, "link": self.link}.get(kind, self.text)


def _workbook(path: Path) -> xlsxwriter.Workbook:
    # Belt and braces: xlsxwriter must never turn input text into formulas, numbers or hyperlinks.
    return xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )


def _line_counts(values: Sequence[Any] | pa.Array, col: Column) -> np.ndarray | None:
    """Lines each cell of a column (its values, or its texts in Arrow) needs, None for 1 each: 1 but for text in a
    wrapped column longer than a line or broken in lines. 10-point text fits about 1.25-1.4 characters per unit of
    column width (measured on LibreOffice's PDF rendering). Counted by Arrow over the whole column: cell by cell it
    took more CPU than all the rest of our code that lays out a sheet."""
    if col.kind not in ("wrap", "staff_wrap"):
        return None
    if not isinstance(values, pa.Array):
        values = pa.array([v if isinstance(v, str) else None for v in values], pa.large_string())
    pieces = pc.split_pattern(values, "\n")
    per_line = max(int(col.width * 1.25), 1)
    # Every piece of a text takes a line at least, a long one as many as it fills; a cell that is not text, one.
    lines = np.maximum(1, -(-pc.utf8_length(pc.list_flatten(pieces)).to_numpy() // per_line))
    owners = pc.list_parent_indices(pieces).to_numpy()
    return np.maximum(1, np.bincount(owners, weights=lines, minlength=len(values)).astype(np.int64))


def _row_heights(columns_values: Sequence[Sequence[Any] | pa.Array], columns: Sequence[Column], max_lines: int = 12
                 ) -> list[float | None]:
    """Points for each row whose wrapped cells need several lines (None: one line will do); capped so a 300-word
    letter stays one screen. Set explicitly because Excel does not grow rows for wrapped text written by a
    library."""
    rows = len(columns_values[0]) if columns_values else 0
    lines = np.ones(rows, dtype=np.int64)
    for values, col in zip(columns_values, columns):
        counts = _line_counts(values, col)
        if counts is not None:
            lines = np.maximum(lines, counts)
    heights = np.minimum(lines, max_lines) * 12.75 + 2
    return [height if many else None for height, many in zip(heights.tolist(), (lines > 1).tolist())]


def _row_height(values: Sequence[Any], columns: Sequence[Column], max_lines: int = 12) -> float | None:
    """`_row_heights` of one row."""
    return _row_heights([[v] for v in values], columns, max_lines)[0] if len(values) else None


def _print_setup(ws: Any, title: str, paper: int = 9) -> None:
    """Every sheet prints the same way: landscape, as wide as one page, its first row (the header) on each page."""
    ws.set_paper(paper)  # 9 = A4, 8 = A3
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer(f"&L{title}&Rstrona &P z &N")


def write_table_sheet(
    wb: xlsxwriter.Workbook, fmt: _Formats, name: str, view: pd.DataFrame, columns: Sequence[Column],
    links: dict[int, RowLink] | None = None,
) -> Any:
    """A sheet with a frozen header, autofilter, widths and wrapped text; every cell a string, number or date.

    `links` maps a column position to the link its filled cells get to a row of "Uwagi" (`RowLink`).
    """
    ws = wb.add_worksheet(name, worksheet_class=LinkSheet if links else None)
    for j, col in enumerate(columns):
        ws.write_string(0, j, col.header, fmt.staff_head if col.kind.startswith("staff") else fmt.head)
        ws.set_column(j, j, col.width, None, {"hidden": col.kind == "hidden"})
    links = links or {}
    formats = [fmt.of(c.kind) for c in columns]
    # Text columns (but links) as their cells show them, made ready a column at a time rather than cell by cell; the
    # others column by column into plain lists: iterating rows of Arrow-backed text converts cell by cell, slowly.
    made = [None if j in links else text_cells(view.iloc[:, j]) for j in range(view.shape[1])]
    ready = [None if cells is None else cells[0] for cells in made]
    values = [view.iloc[:, j].tolist() if texts is None else texts for j, texts in enumerate(ready)]
    # Lines counted on the Arrow texts where the cells are those texts: a column converted back to Arrow costs more
    # than the counting.
    heights = _row_heights([values[j] if cells is None or cells[1] is None else cells[1]
                            for j, cells in enumerate(made)], columns)
    # Bound once: a sheet of 50,000 comments is a million cells.
    write_string, write_blank, quoted = ws.write_string, ws.write_blank, fmt.quoted
    typed = [(j, cell_fmt, texts is None) for j, (cell_fmt, texts) in enumerate(zip(formats, ready))]
    for i, (row, height) in enumerate(zip(zip(*values), heights), start=1):
        for (j, cell_fmt, mixed), value in zip(typed, row):
            if mixed:
                if _is_number(value):
                    ws.write_number(i, j, value, cell_fmt)
                    continue
                if isinstance(value, datetime):
                    ws.write_datetime(i, j, value, fmt.date)
                    continue
                if j in links and value:
                    # No stored result: LibreOffice, which does not recalculate an xlsx on opening by default, then
                    # calculates the link (a stored label would be shown with no target); Excel calculates it anyway.
                    ws.write_formula(i, j, links[j].formula(i), fmt.link, "")
                    continue
                value = cell_text(value)
            if not value:  # a truly empty cell, so Excel's filters list it under "(Puste)"
                write_blank(i, j, None, cell_fmt)
            elif value.startswith(_SPECIAL_STARTS):
                write_text(ws, i, j, value, quoted(cell_fmt) if value.startswith(FORMULA_STARTS) else cell_fmt)
            else:
                write_string(i, j, value, cell_fmt)
        if height:
            ws.set_row(i, height)
    ws.set_row(0, 27)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(view), 1), len(columns) - 1)
    # Ids like "0042" are text on purpose; Excel's green "number stored as text" marks would only alarm staff.
    ws.ignore_errors({"number_stored_as_text": f"A1:{xl_rowcol_to_cell(max(len(view), 1), len(columns) - 1)}"})
    _print_setup(ws, name)
    return ws


def _ref(sheet: str, first_row: int, last_row: int | None = None, first_col: int = 0, last_col: int = 0) -> str:
    """An absolute reference like 'Uwagi'!$A$5:$A$9 (rows and columns 0-based)."""
    start = xl_rowcol_to_cell(first_row, first_col, row_abs=True, col_abs=True)
    if last_row is None:
        return f"'{sheet}'!{start}"
    end = xl_rowcol_to_cell(last_row, last_col, row_abs=True, col_abs=True)
    return f"'{sheet}'!{start}:{end}"


def write_comments_sheet(
    wb: xlsxwriter.Workbook, fmt: _Formats, view: pd.DataFrame, label_list: str, decision_list: str
) -> Any:
    columns = comment_columns(view)
    ws = write_table_sheet(wb, fmt, SHEET_COMMENTS, view, columns)
    _print_setup(ws, SHEET_COMMENTS, paper=8)  # sixteen columns are unreadable on A4
    n = max(len(view), 1)
    pos = {c.header: j for j, c in enumerate(columns)}
    ws.data_validation(1, pos[H_LABEL_FIX], n, pos[H_LABEL_FIX], {
        "validate": "list", "source": label_list, "ignore_blank": True,
        "input_title": "Poprawny cel", "input_message": "Wybierz cel z listy, jeśli model się pomylił.",
        "error_title": "Nieznany cel", "error_message": "Wybierz cel z listy (arkusz „Słownik celów”).",
    })
    ws.data_validation(1, pos[H_DECISION], n, pos[H_DECISION], {
        "validate": "list", "source": decision_list, "ignore_blank": True,
        "input_title": "Decyzja", "input_message": "Jak uwzględniono uwagę.",
        "error_title": "Nieznana decyzja", "error_message": "Wybierz decyzję z listy.",
    })
    if H_PRIORITY in pos:
        j = pos[H_PRIORITY]
        ws.conditional_format(1, j, n, j, {"type": "cell", "criteria": "==", "value": 1, "format": fmt.p1})
        ws.conditional_format(1, j, n, j, {"type": "cell", "criteria": "==", "value": 2, "format": fmt.p2})
    j = pos[H_STATUS]
    ws.conditional_format(1, j, n, j, {"type": "text", "criteria": "containing", "value": STATUS_REVIEW,
                                       "format": fmt.review})
    return ws


def _taxonomy_rows(taxonomy: Taxonomy | None, labels_seen: Sequence[str]) -> list[tuple[str, ...]]:
    if taxonomy:
        return [(lb.id, lb.name, lb.goal, lb.description, ", ".join(lb.keywords)) for lb in taxonomy.labels]
    return [(v, v, "", "", "") for v in labels_seen]


def _decisions_first_row(n_labels: int) -> int:
    return n_labels + 3  # a blank row and a subtitle between the labels and the decisions


def dropdown_sources(n_labels: int) -> tuple[str, str]:
    """The ranges on "Słownik celów" the two dropdowns of "Uwagi" point at: label names, decisions."""
    first = _decisions_first_row(n_labels)
    return ("=" + _ref(SHEET_TAXONOMY, 1, max(n_labels, 1), 1, 1),
            "=" + _ref(SHEET_TAXONOMY, first, first + len(DECISIONS) - 1, 1, 1))


def write_taxonomy_sheet(wb: xlsxwriter.Workbook, fmt: _Formats, rows: Sequence[tuple[str, ...]]) -> None:
    """"Słownik celów": the labels (their names feed the label dropdown), then the decisions."""
    ws = wb.add_worksheet(SHEET_TAXONOMY)
    columns = [Column("Identyfikator", 22), Column("Nazwa", 34, "wrap"), Column("Cel programu", 50, "wrap"),
               Column("Opis", 60, "wrap"), Column("Słowa kluczowe", 36, "wrap")]
    for j, col in enumerate(columns):
        ws.write_string(0, j, col.header, fmt.head)
        ws.set_column(j, j, col.width)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            write_text(ws, i, j, cell_text(value), fmt.of(columns[j].kind))
        height = _row_height(row, columns, max_lines=10)
        if height:
            ws.set_row(i, height)
    start = _decisions_first_row(len(rows))
    ws.write_string(start - 1, 0, "Decyzje w sprawie uwag (lista w kolumnie „Status – decyzja”)", fmt.subtitle)
    for k, decision in enumerate(DECISIONS):
        ws.write_string(start + k, 1, decision, fmt.text)
    ws.set_row(0, 20)
    ws.freeze_panes(1, 0)
    _print_setup(ws, SHEET_TAXONOMY)


def write_summary_sheet(
    wb: xlsxwriter.Workbook, fmt: _Formats, df: pd.DataFrame, taxonomy: Taxonomy | None,
    clusters: pd.DataFrame, cfg: Config, manifest: dict[str, Any],
) -> Any:
    ws = wb.add_worksheet(SHEET_SUMMARY)
    ws.set_column(0, 0, 44)
    ws.set_column(1, 2, 11)
    ws.set_column(3, 3, 3)
    ws.write_string(0, 0, "Uwagi z konsultacji – podsumowanie", fmt.title)
    total = len(df)
    created = str(manifest.get("created", "")).replace("T", " ").replace("+00:00", " UTC")
    programme = f"{taxonomy.name}. " if taxonomy else ""
    ws.write_string(1, 0, f"{programme}Liczba uwag: {total}. Przetworzono: {created}.", fmt.plain_note)
    row = 3
    blocks: list[tuple[str, list[tuple[str, int]]]] = []
    if "label" in df.columns:
        order = list(taxonomy.ids) if taxonomy else []
        labelled = df["label"].where(df["label"].astype(str).str.len() > 0)
        blocks.append(("Cel programu", count_table(labelled, order, label_names(taxonomy))))
    blocks.append(("Status", count_table(_col(df, "status"))))
    if "comment_type" in df.columns:
        blocks.append(("Typ uwagi", count_table(df["comment_type"])))
    submitter = cfg.ingest.submitter_col
    personal = submitter in manifest.get("pii_columns", ()) and not cfg.export.original_text_in_workbook
    if submitter and submitter in df.columns and not personal:  # counts by sender name would list the names
        blocks.append((submitter, count_table(df[submitter])))
    if "cluster_size" in df.columns:
        blocks.append(("Kampania", campaign_counts(df, clusters)))
    if _col(df, "decision").fillna("").astype(str).str.len().any():
        decisions = count_table(df["decision"], DECISIONS, empty="bez decyzji")
        blocks.append(("Decyzja (z poprzedniej wersji arkusza)", decisions))

    chart_ranges: dict[str, tuple[int, int]] = {}
    for title, rows in blocks:
        ws.write_string(row, 0, title, fmt.subtitle)
        ws.write_string(row, 1, "Liczba", fmt.subtitle)
        ws.write_string(row, 2, "Udział", fmt.subtitle)
        first = row + 1
        for name, count in rows:
            row += 1
            write_text(ws, row, 0, cell_text(name), fmt.plain_wrap)
            ws.write_number(row, 1, count, fmt.plain_number)
            ws.write_number(row, 2, count / total if total else 0.0, fmt.plain_percent)
        chart_ranges[title] = (first, row)
        row += 2

    charts = [("Cel programu", "bar", "Uwagi według celu programu"), ("Status", "pie", "Uwagi według statusu")]
    anchor = 3
    for key, kind, title in charts:
        if key not in chart_ranges or chart_ranges[key][1] < chart_ranges[key][0]:
            continue
        first, last = chart_ranges[key]
        chart = wb.add_chart({"type": kind})
        series = {
            "name": title,
            "categories": _ref(SHEET_SUMMARY, first, last, 0, 0),
            "values": _ref(SHEET_SUMMARY, first, last, 1, 1),
            "data_labels": {"value": True} if kind == "bar" else {"percentage": True, "leader_lines": True},
        }
        if kind == "bar":
            series["fill"] = {"color": "#2E75B6"}
            chart.set_y_axis({"reverse": True})
            chart.set_legend({"none": True})
        else:
            chart.set_legend({"position": "right"})
        chart.add_series(series)
        chart.set_title({"name": title, "name_font": {"size": 11}})
        chart.set_size({"width": 620, "height": 300})
        ws.insert_chart(anchor, 4, chart)
        anchor += 16
    ws.hide_gridlines(2)
    _print_setup(ws, SHEET_SUMMARY)
    return ws


# The stages as staff read them on "Informacje" (run.json keeps the code names).
STAGE_NAMES = {"ingest": "wczytanie plików", "clean": "czyszczenie tekstu", "redact": "usuwanie danych osobowych",
               "classify": "przypisanie celów", "corrections": "poprawki zespołu",
               "cluster_keys": "grupowanie: odciski tekstów", "cluster": "grupowanie",
               "triage": "priorytety i statusy", "theme_content": "tematy: analiza treści", "themes": "tematy",
               "export": "zapis wyników"}


def write_info_sheet(wb: xlsxwriter.Workbook, manifest: dict[str, Any], fmt: _Formats | None = None,
                     extra: Sequence[tuple[str, str]] = ()) -> None:
    """"Informacje": the run manifest as label/value rows staff can read, and how to send corrections back."""
    fmt = fmt or _Formats(wb)
    ws = wb.add_worksheet(SHEET_INFO)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 100)
    counts = manifest.get("counts", {})
    rows: list[tuple[str, str]] = [
        ("Wersja uwagi", manifest.get("version", "")),
        ("Data przetwarzania (UTC)", manifest.get("created", "")),
        ("Wierszy odczytanych", str(counts.get("read", ""))),
        ("Wierszy zapisanych", str(counts.get("written", ""))),
        ("Pustych uwag", str(counts.get("empty", ""))),
        ("Wierszy z błędem odczytu", str(counts.get("errors", ""))),
    ]
    for item in manifest.get("inputs", []):
        rows.append(("Plik wejściowy", f"{item['path']} ({plural(item['rows'], 'wiersz', 'wiersze', 'wierszy')}, "
                                       f"SHA-256 {item['sha256'][:16]}…)"))
    for stage, seconds in manifest.get("timings_s", {}).items():
        rows.append((f"Czas etapu: {STAGE_NAMES.get(stage, stage)}", f"{seconds:.2f} s"))
    for key, value in manifest.get("summary", {}).items():
        rows.append((key, cell_text(value)))
    if manifest.get("encoder"):
        rows.append(("Model semantyczny", encoder_line(manifest["encoder"])))
    rows.extend(extra)
    rows.append((
        "Jak przekazać poprawki",
        f"W arkuszu „{SHEET_COMMENTS}” wybierz poprawny cel w kolumnie „{H_LABEL_FIX}”, decyzję w kolumnie "
        f"„{H_DECISION}” i wpisz odpowiedź w kolumnie „{H_ANSWER}”. Można sortować i filtrować wiersze, "
        f"nie zmieniaj kolumny „{H_ID}”. Zapisany arkusz wczytuje polecenie: "
        f"uwagi learn triage.xlsx --out NOWY_MODEL (model, z którym powstał arkusz, program odczyta z wiersza "
        f"„{INFO_MODEL}”).",
    ))
    rows.append((
        "Odnośniki",
        f"Odnośniki w arkuszach „{SHEET_CAMPAIGNS}” i „{SHEET_REVIEW}” szukają wiersza arkusza „{SHEET_COMMENTS}” "
        f"po identyfikatorze (kolumna „{H_ID}”) albo nazwie grupy (kolumna „{H_CAMPAIGN}”), więc prowadzą do właściwej "
        f"uwagi także po sortowaniu. Wszystkie uwagi jednej grupy pokaże filtr w kolumnie „{H_CAMPAIGN}”.",
    ))
    rows.append((FORMAT_KEY, FORMAT_VALUE))
    columns = (Column("", 34, "wrap"), Column("", 100, "wrap"))
    for i, (label, value) in enumerate(rows):
        ws.write_string(i, 0, label, fmt.bold)
        write_text(ws, i, 1, cell_text(value), fmt.wrap)
        height = _row_height((label, cell_text(value)), columns)
        if height:
            ws.set_row(i, height)
    _print_setup(ws, SHEET_INFO)


def write_workbook(
    df: pd.DataFrame, path: Path, manifest: dict[str, Any], *, taxonomy: Taxonomy | None = None,
    clusters: pd.DataFrame | None = None, cfg: Config | None = None, themes: pd.DataFrame | None = None,
    sheets: Sequence[tuple[str, pd.DataFrame]] = (),
) -> Path:
    """Write triage.xlsx for the comments table `df` (any stage's columns may be missing).

    `clusters` is `pipeline.cluster.cluster_table(df)` (one row per cluster of two or more); `cfg` decides
    whether "Treść" shows the original text and which input column is the submitter type. `themes` is
    `pipeline.themes.theme_table(df)`; without it (or with no themes) there is no "Tematy" sheet.
    """
    cfg = cfg or Config()
    # pandas deep-copies `attrs` (the themes table, passed here as `themes`) into every group a groupby yields.
    df = df.copy(deep=False)
    df.attrs = {}
    if clusters is None:
        clusters = pd.DataFrame(columns=["cluster_id", "size", "representative_id", "template"])
    clusters = fitting(clusters)
    campaigns = campaign_names(clusters)
    # Labels in priority order, and of the rows a sheet lists only: the table itself in that order would be a
    # copy of every row held while the workbook is written.
    order = priority_order(df)
    view = comments_view(df.loc[listed_comments(pd.DataFrame(index=order), cfg).index], taxonomy, campaigns, cfg,
                         manifest.get("pii_columns", ()))
    by_id, by_group = list(view.columns).index(H_ID), list(view.columns).index(H_CAMPAIGN)
    extra = []
    model = manifest.get("model", {}).get("path") or manifest.get("config", {}).get("classify", {}).get("model")
    if model:
        # Absolute, so `uwagi learn` finds the folder from wherever it is started.
        extra.append((INFO_MODEL, str(Path(model).resolve()) if Path(str(model)).is_dir() else str(model)))
    if manifest.get("model", {}).get("sha256"):
        extra.append((INFO_MODEL_SHA256, manifest["model"]["sha256"]))
    if taxonomy:
        extra.append(("Taksonomia celów", f"{taxonomy.name} ({plural(len(taxonomy.labels), 'cel', 'cele', 'celów')})"))
    if "label_corrected" in df.columns and df["label_corrected"].any():
        extra.append(("Cele wskazane wcześniej przez pracowników", str(int(df["label_corrected"].sum()))))

    def write(tmp: Path) -> None:
        wb = _workbook(tmp)
        fmt = _Formats(wb)
        summary = write_summary_sheet(wb, fmt, df, taxonomy, clusters, cfg, manifest)
        note = big_workbook_note(len(view), len(df))
        if note:
            summary.write_string(2, 0, note, fmt.plain_note)
        taxonomy_rows = _taxonomy_rows(taxonomy, sorted({str(v) for v in _col(df, "label") if cell_text(v)}))
        write_comments_sheet(wb, fmt, view, *dropdown_sources(len(taxonomy_rows)))

        in_order = df.loc[order, [c for c in CAMPAIGN_READS if c in df.columns]]
        write_table_sheet(
            wb, fmt, SHEET_CAMPAIGNS, on_sheet(on_sheet(campaigns_view(clusters, in_order, taxonomy, campaigns),
                                                        "Reprezentant", H_TO_REPRESENTATIVE, view[H_ID]),
                                               "Kampania", H_TO_OTHERS, view[H_CAMPAIGN]),
            [Column("Kampania", 10), Column("Rodzaj", 10), Column("Liczba uwag", 9, "number"),
             Column("Cel (najczęstszy)", 22, "wrap"), Column("Wspólny szablon", 66, "wrap"), Column("Reprezentant", 13),
             Column("Członkowie", 36, "wrap"), Column(H_TO_REPRESENTATIVE, 16, "wrap"), Column(H_TO_OTHERS, 24, "wrap")],
            links={7: RowLink(5, by_id, TO_REPRESENTATIVE), 8: RowLink(0, by_group, TO_OTHERS)},
        )
        if themes is not None and len(themes):
            write_table_sheet(
                wb, fmt, SHEET_THEMES, themes_view(themes, taxonomy), [Column(*c) for c in THEME_LAYOUT])
        # Triage decides what needs checking (an unsure campaign member is answered with its campaign).
        review = fitting(df.loc[order[(_col(df, "status") == STATUS_REVIEW).loc[order].to_numpy()]])
        write_table_sheet(
            wb, fmt, SHEET_REVIEW, on_sheet(review_view(review, taxonomy, cfg), H_ID, H_TO_COMMENT, view[H_ID]),
            [Column(H_ID, 13), Column(H_TEXT, 70, "wrap"), Column(H_LABEL, 26, "wrap"),
             Column("Pewność", 9, "percent"), Column("Powód", 36, "wrap"), Column(H_PRIORITY, 9, "number"),
             Column(H_TO_COMMENT, 16, "wrap")],
            links={6: RowLink(0, by_id, TO_COMMENT)},
        )
        write_taxonomy_sheet(wb, fmt, taxonomy_rows)
        for name, table in sheets:
            write_table_sheet(wb, fmt, name, table, [Column(str(c), 16, "wrap") for c in table.columns])
        write_info_sheet(wb, manifest, fmt, extra)
        wb.close()

    with collector_paused():  # xlsxwriter holds a tuple per cell until the file is closed
        return write_atomic(path, write)
