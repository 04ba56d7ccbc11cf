"""The comments table's column contract: names and order of the output columns.

`docs/data-dictionary.md` describes each one; tests check the two agree.
"""

# `source_page`, `extraction` and `ocr_confidence` are filled for documents (PDF, DOCX, scans), empty for exports.
INGEST_COLUMNS = (
    "comment_id", "source_file", "source_row", "source_page", "extraction", "ocr_confidence", "text", "status",
    "error",
)
CLASSIFY_COLUMNS = ("label", "labels", "confidence", "needs_review", "evidence", "comment_type", "semantic")
CLUSTER_COLUMNS = (
    "cluster_id", "cluster_size", "cluster_role", "cluster_representative", "cluster_similarity", "added_text",
)

# Order in comments.csv; pass-through input columns follow.
OUTPUT_COLUMNS = (
    "comment_id", "source_file", "source_row", "source_page", "extraction", "ocr_confidence", "text", "text_clean",
    "lang", "pii", "status", "status_reason", "error", *CLASSIFY_COLUMNS, "label_corrected", *CLUSTER_COLUMNS, "priority", "priority_reason",
    "cited_provisions", "decision", "answer", "fingerprint",
)
