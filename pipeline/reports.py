"""Classification reports: per-label precision, recall and F1, macro-F1, accuracy, the confusion matrix and the
review flag's figures, as a dict (for JSON and the model card) and as text for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from pipeline.taxonomy import Taxonomy


def classification_report(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str],
                          needs_review: Sequence[bool] | None = None) -> dict[str, Any]:
    """Per-label precision/recall/F1, macro-F1 (over labels present in the data), accuracy, confusion matrix and,
    given review flags, how many are flagged and the accuracy on the rest."""
    y_true, y_pred = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    labels = list(labels)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    present = s > 0
    report: dict[str, Any] = {
        "n": int(len(y_true)),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f[present].mean()), 4) if present.any() else 0.0,
        "per_label": {lb: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                           "f1": round(float(f[i]), 4), "support": int(s[i])} for i, lb in enumerate(labels)},
        "confusion": {"labels": labels, "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()},
    }
    if needs_review is not None:
        flagged = np.asarray(needs_review, dtype=bool)
        kept = ~flagged
        report["needs_review"] = {
            "flagged_share": round(float(flagged.mean()), 4) if len(flagged) else 0.0,
            "accuracy_unflagged": round(float((y_true[kept] == y_pred[kept]).mean()), 4) if kept.any() else 0.0,
        }
    return report


def format_report(report: dict[str, Any], taxonomy: Taxonomy) -> str:
    """The report as plain text for the terminal."""
    width = max(len(i) for i in taxonomy.ids + ("macro-F1",))
    lines = [f"{'etykieta':<{width}}  {'precyzja':>8}  {'czułość':>8}  {'F1':>6}  {'liczba':>6}"]
    for label_id, m in report["per_label"].items():
        lines.append(f"{label_id:<{width}}  {m['precision']:>8.3f}  {m['recall']:>8.3f}  {m['f1']:>6.3f}  "
                     f"{m['support']:>6}")
    lines.append(f"{'macro-F1':<{width}}  {'':>8}  {'':>8}  {report['macro_f1']:>6.3f}  {report['n']:>6}")
    lines.append(f"trafność (accuracy): {report['accuracy']:.3f}")
    if "needs_review" in report:
        nr = report["needs_review"]
        lines.append(f"do sprawdzenia: {nr['flagged_share']:.1%} uwag; trafność pozostałych: "
                     f"{nr['accuracy_unflagged']:.3f}")
    if report.get("comment_type_accuracy") is not None:
        lines.append(f"typ uwagi: trafność {report['comment_type_accuracy']:.3f}")
    if "confusion" in report:
        ids = report["confusion"]["labels"]
        short = [i[:6] for i in ids]
        lines.append("macierz pomyłek (wiersze: etykieta prawdziwa, kolumny: przewidziana):")
        lines.append(" " * (width + 2) + " ".join(f"{s:>6}" for s in short))
        for label_id, row in zip(ids, report["confusion"]["matrix"]):
            lines.append(f"{label_id:<{width}}  " + " ".join(f"{v:>6}" for v in row))
    return "\n".join(lines)
