"""The classify stage: which classifier a configuration means, and its columns for every comment.

The classifier is `cfg.classify.model` (a model folder or a fitted `CommentClassifier` in memory), else zero-shot
for `cfg.classify.taxonomy`, else the bundled default model. A trained model analyses texts with the lemmatizer it
was trained with; `cfg.nlp.lemmatizer` may only confirm it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline.classifier import DEFAULT_LEMMATIZER, CommentClassifier, load_classifier
from pipeline.clean import detect_languages
from pipeline.config import Config
from pipeline.encoder import DEFAULT_ENCODER, EncoderUnavailable, cached_mask, get_encoder, open_cache
from pipeline.errors import UserError
from pipeline.models import check_taxonomy
from pipeline.resources import DEFAULT_MODEL, DEFAULT_TAXONOMY, resource_path
from pipeline.stage import stage
from pipeline.taxonomy import load_taxonomy
from pipeline.themes import CONTENT_COLUMN, content_lemmatizer
from pipeline.zero_shot import ZeroShotClassifier

OUTPUT_COLUMNS = ("label", "labels", "confidence", "evidence", "needs_review", "comment_type", "semantic")
ENCODER_MODES = ("auto", "on", "off")
# With `cfg.engine.defer_new_vectors` (a worker process of the local engine), `attrs[DEFERRED]` maps each row the
# semantic model should decide but whose text is not in the vector cache to its lexical margin; the row keeps its
# lexical result until the engine spends the run's budget over every chunk (`pipeline/engines/vector_budget.py`).
DEFERRED = "deferred_vectors"
# The column of `_predict`'s frame holding each text's own content lemmas (`features.analyse`), where it has one.
_OWN_CONTENT = "own_content"


@lru_cache(maxsize=4)
def _cached_zero_shot(taxonomy_path: str, mtime: float, lemmatizer: str) -> ZeroShotClassifier:
    return ZeroShotClassifier(load_taxonomy(taxonomy_path), lemmatizer)


def _trained(cfg: Config) -> CommentClassifier:
    model, taxonomy = cfg.classify.model, cfg.classify.taxonomy
    if isinstance(model, CommentClassifier):
        if taxonomy is not None:
            check_taxonomy({"name": model.taxonomy.name, "sha256": model.taxonomy.sha256}, load_taxonomy(taxonomy))
        return model
    if model is not None:
        return load_classifier(model, taxonomy)
    return load_classifier(resource_path(*DEFAULT_MODEL), resource_path(*DEFAULT_TAXONOMY))


def resolve_classifier(cfg: Config) -> CommentClassifier | ZeroShotClassifier:
    """--model (a folder, checked against --taxonomy if both, or a fitted model as is), else zero-shot for
    --taxonomy, else the default model. A trained model refuses a --lemmatizer other than its own."""
    model, taxonomy, lemmatizer = cfg.classify.model, cfg.classify.taxonomy, cfg.nlp.lemmatizer
    if model is None and taxonomy is not None:
        path = Path(taxonomy)
        mtime = path.stat().st_mtime if path.exists() else 0.0
        return _cached_zero_shot(str(path), mtime, lemmatizer or DEFAULT_LEMMATIZER)
    classifier = _trained(cfg)
    if lemmatizer is not None and lemmatizer != classifier.lemmatizer:
        where = model if isinstance(model, (str, Path)) else None
        raise UserError(f"model wytrenowano z lematyzatorem {classifier.lemmatizer!r}, a podano --lemmatizer "
                        f"{lemmatizer!r}; pomiń tę opcję albo wytrenuj model z tym lematyzatorem: uwagi train "
                        f"DANE --taxonomy T --out KATALOG --lemmatizer {lemmatizer}", path=where)
    return classifier


def _known_langs(df: pd.DataFrame, rows: list[int]) -> list[str] | None:
    """Clean's `lang` of each row, detected again where redaction changed the text since (`pii` names what it
    replaced); None when the table lacks either column."""
    if "lang" not in df.columns or "pii" not in df.columns:
        return None
    langs, pii, texts = df["lang"].tolist(), df["pii"].fillna("").tolist(), df["text_clean"].fillna("").tolist()
    again = [bool(pii[i]) or not isinstance(langs[i], str) for i in rows]
    detected = iter(detect_languages([str(texts[i]) for i, a in zip(rows, again) if a]))
    return [next(detected) if a else langs[i] for i, a in zip(rows, again)]


@stage("classify", requires=("text_clean",), assigns=(*OUTPUT_COLUMNS, CONTENT_COLUMN))
def classify(df: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Stage: add `label`, `labels`, `confidence`, `evidence`, `needs_review`, `comment_type` and `semantic` from
    `text_clean`; `df.attrs["encoder"]` says how the sentence encoder was used (`run.json`'s `encoder`). The
    working column `content_lemmas` holds the themes' input its analysis gave (`theme_content` then need not
    analyse the text again): each comment's content lemmas where a trained model analysed it with the themes'
    lemmatizer and themes are on, else None.

    Empty texts get no label (their status already says so) and are not flagged for review; a comment that says
    nothing (`features.says_nothing`: a few words, or only words like "ok", "brak uwag") is flagged by the classifier.
    """
    classifier = resolve_classifier(cfg)
    out = df.copy(deep=False)  # copy-on-write: the columns set below never reach `df`, and the text is not copied
    texts = out["text_clean"].fillna("").astype(str).tolist()
    filled = [i for i, t in enumerate(texts) if t.strip()]
    result = pd.DataFrame({"label": "", "labels": "", "confidence": 0.0, "evidence": "", "needs_review": False,
                           "comment_type": "inne", "semantic": False}, index=range(len(texts)))
    report = {"mode": cfg.classify.encoder, "name": None, "used": False, "semantic": 0, "embedded_new": 0,
              "budget": cfg.classify.encoder_budget if cfg.classify.encoder == "auto" else None, "note": ""}
    deferred: dict[int, float] = {}
    content = pd.Series([None] * len(texts), dtype=object)
    if filled:
        predicted = _predict(classifier, [texts[i] for i in filled], cfg, report, _known_langs(out, filled),
                             deferred)
        for column in OUTPUT_COLUMNS:
            result.loc[filled, column] = predicted[column].to_numpy()
        if (cfg.themes.enabled and _OWN_CONTENT in predicted.columns
                and classifier.lemmatizer == content_lemmatizer(cfg)):
            content[filled] = predicted[_OWN_CONTENT].to_numpy()
    for column in OUTPUT_COLUMNS:
        out[column] = result[column].to_numpy()
    out[CONTENT_COLUMN] = content.to_numpy()
    out["needs_review"] = out["needs_review"].astype(bool)
    out["semantic"] = out["semantic"].astype(bool)
    out["confidence"] = out["confidence"].astype(float)
    report["semantic"] = int(out["semantic"].sum())
    report["semantic_ids"] = out.loc[out["semantic"], "comment_id"].astype(str).tolist() \
        if "comment_id" in out else []
    out.attrs["encoder"] = report
    if cfg.engine.defer_new_vectors:
        out.attrs[DEFERRED] = {filled[i]: margin for i, margin in deferred.items()}
    return out


def needs_whole_batch(cfg: Config) -> bool:
    """Whether classify must see the whole batch at once: zero-shot with the encoder embeds every comment or, past
    the budget of new ones, none, which a chunk cannot decide alone."""
    if cfg.classify.encoder == "off":
        return False
    classifier = resolve_classifier(cfg)
    return isinstance(classifier, ZeroShotClassifier) and classifier.encoder is not None


def _predict(classifier: CommentClassifier | ZeroShotClassifier, texts: list[str], cfg: Config,
             report: dict, langs: list[str] | None, deferred: dict[int, float]) -> pd.DataFrame:
    """The classifier's columns for non-empty texts, the semantic model used as `cfg.classify.encoder` says; with
    `cfg.engine.defer_new_vectors`, the texts left lexical for want of a cached vector go into `deferred`."""
    mode = cfg.classify.encoder
    if mode not in ENCODER_MODES:
        raise UserError(f"nieznany tryb --encoder {mode!r}; dozwolone: {', '.join(ENCODER_MODES)}")
    semantic = (classifier.encoder if isinstance(classifier, CommentClassifier) and classifier.semantic_svm_
                is not None else getattr(classifier, "encoder", None))
    if mode == "off" or semantic is None:
        if mode == "on":
            raise UserError("model wytrenowano bez modelu semantycznego; wytrenuj go ponownie (uwagi train) "
                            "albo uruchom z --encoder auto lub off")
        report["note"] = "wyłączony (--encoder off)" if mode == "off" else "model go nie używa"
        return _lexical(classifier, texts, langs)
    report["name"] = semantic
    try:
        cache = open_cache()
        before = len(cache)
        budget = cfg.classify.encoder_budget if mode == "auto" else None
        if isinstance(classifier, ZeroShotClassifier):
            # Zero-shot embeds every comment: beyond the budget the run stays lexical rather than run for hours.
            new = int((~cached_mask(texts, get_encoder(semantic), cache)).sum())
            if budget is not None and new > budget:
                report["note"] = (f"nowych uwag: {new}, więcej niż limit {budget} (--encoder-budget); "
                                  "klasyfikacja bez uczenia tylko po słowach kluczowych")
                return _lexical(classifier, texts, langs)
            predicted = classifier.predict_frame(texts, semantic=True, langs=langs)
        else:
            analysed = classifier.analyse(texts, langs=langs)
            if cfg.engine.defer_new_vectors:
                analysed, left_out = classifier.cascade_deferred(texts, analysed)
                deferred.update(left_out)
            else:
                analysed = classifier.cascade(texts, analysed, budget)
            predicted = _with_own_content(classifier.predict_frame_analysed(analysed), analysed)
        report["embedded_new"] = len(cache) - before
    except EncoderUnavailable as exc:
        if mode == "on":
            raise UserError(f"model semantyczny niedostępny ({exc}); zainstaluj pakiet {DEFAULT_ENCODER} albo "
                            "uruchom z --encoder auto lub off") from None
        report["note"] = f"niedostępny ({exc}); klasyfikacja tylko leksykalna"
        return _lexical(classifier, texts, langs)
    report["used"] = True
    return predicted


def _with_own_content(predicted: pd.DataFrame, analysed: pd.DataFrame) -> pd.DataFrame:
    return predicted.assign(**{_OWN_CONTENT: analysed[_OWN_CONTENT].to_numpy()})


# Texts analysed and classified at a time by the lexical model, which decides each text on its own: the Polish
# layer's analysis (about 17 KB a comment) and the n-gram matrix are one slice's, not the whole batch's.
LEXICAL_SLICE = 2_000


def _lexical(classifier: CommentClassifier | ZeroShotClassifier, texts: list[str], langs: list[str] | None
             ) -> pd.DataFrame:
    """The lexical model's columns. It decides each text on its own, so copies of one text in one language (a
    campaign's identical letters, a comment sent twice) are analysed and classified once."""
    first: dict[tuple[str, str | None], int] = {}
    copy_of = [first.setdefault(key, len(first)) for key in zip(texts, langs or [None] * len(texts))]
    distinct, distinct_langs = [t for t, _ in first], None if langs is None else [lang for _, lang in first]
    parts = []
    for lo in range(0, len(distinct), LEXICAL_SLICE):
        part = distinct[lo:lo + LEXICAL_SLICE]
        part_langs = None if distinct_langs is None else distinct_langs[lo:lo + LEXICAL_SLICE]
        if isinstance(classifier, ZeroShotClassifier):
            parts.append(classifier.predict_frame(part, semantic=False, langs=part_langs))
        else:
            analysed = classifier.analyse(part, langs=part_langs)
            parts.append(_with_own_content(classifier.predict_frame_analysed(analysed), analysed))
    predicted = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return predicted if len(distinct) == len(texts) else predicted.iloc[copy_of].reset_index(drop=True)
