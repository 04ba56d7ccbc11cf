"""The comments table's column contract: names and order of the output columns.

`docs/data-dictionary.md` describes each one; tests check the two agree.
"""

# `source_page`, `extraction` and `ocr_confidence` are filled for documents (PDF, DOCX, scans), empty for exports.
# The text parts hold each text column's content unlabelled (`pipeline.column_roles`); `document_part` the cell of
# the column naming the part of the document the comment is about.
TEXT_PART_COLUMNS = ("text_comment", "text_current", "text_proposal", "text_justification")
INGEST_COLUMNS = (
    "comment_id", "source_file", "source_row", "source_page", "extraction", "ocr_confidence", "text",
    *TEXT_PART_COLUMNS, "document_part", "status", "error",
)
CLASSIFY_COLUMNS = ("label", "labels", "confidence", "needs_review", "evidence", "comment_type", "semantic")
CLUSTER_COLUMNS = (
    "cluster_id", "cluster_size", "cluster_kind", "cluster_role", "cluster_representative", "cluster_similarity",
    "added_text",
)

# Order in comments.csv; pass-through input columns follow.
OUTPUT_COLUMNS = (
    "comment_id", "source_file", "source_row", "source_page", "extraction", "ocr_confidence", "text",
    *TEXT_PART_COLUMNS, "document_part", "text_clean", "lang", "pii", "status", "status_reason", "error",
    *CLASSIFY_COLUMNS, "label_corrected", *CLUSTER_COLUMNS, "theme", "priority", "priority_reason",
    "cited_provisions", "decision", "answer", "fingerprint", "label_fix", "change",
)
