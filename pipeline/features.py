"""Feature extraction for classification, over the Polish layer.

Texts are analysed once (`analyse`) into three strings per text; the feature union then reads those strings:
lemma word n-grams over content lemmas, character n-grams of the folded text (robust to typos and missing
diacritics) and per-label counts of taxonomy keywords matched on the folded lemma sequence.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize

from pipeline import polish
from pipeline.clean import detect_language, detect_languages, fold, fold_comment, polish_word_count, strip_diacritics
from pipeline.glossary import Glossary, default_glossary
from pipeline.gram_codes import GramCodes
from pipeline.taxonomy import Taxonomy
from pipeline.tokens import room

ANALYSED_COLUMNS = ("content", "lemmas", "folded", "head", "lang", "words", "own_content", "content_terms",
                    "lemmas_terms")
# The opening line (a title, a subject, the first sentence of a letter) usually names the topic.
_HEAD_CHARS = 200
# A text this long whose words carry Polish letters at most this often may be in another language that names
# Polish places or people ("Gdańsk"); the glossary asks the language detector about it without those letters.
_NAMES_ONLY_CHARS = 120
_NAMES_ONLY_SHARE = 0.05


def _glossary_language(text: str, lang: str) -> str:
    """The language whose glossary applies. `lang` follows the foundation's rule that any Polish letter makes a
    text Polish; translating an English letter that names Gdańsk still pays, so such a text is asked again."""
    if lang != "pl" or len(text) < _NAMES_ONLY_CHARS or text.isascii():  # ASCII: nothing to strip, `lang` stays
        return lang
    # More Polish words than the share: finding that many is enough, most Polish texts have them in the first lines.
    enough = math.floor(_NAMES_ONLY_SHARE * len(text.split())) + 1
    if polish_word_count(text, stop_at=enough) >= enough:
        return lang
    stripped = strip_diacritics(text)
    return lang if stripped == text else detect_language(stripped)  # the same text asks the same question


def analyse(texts: Sequence[str], lemmatizer: str = "simplemma", glossary: Glossary | None = None,
            langs: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per text: `content` (content lemmas), `lemmas` (folded lemmas of every word, and "?"), `folded`
    (the folded text), `head` (its folded first line), `lang`, `words` (how many words, redaction placeholders
    such as "[EMAIL]" not counted), `own_content` (the content lemmas of the text's own words: what themes are
    found from, `themes.content_lemmas`), and `content_terms` and `lemmas_terms`, the words of `content` and
    `lemmas` as lists (their `str.split()`; `terms`).

    For English and Ukrainian texts the glossary's Polish lemmas follow the original words in `content` and
    `lemmas` (`glossary`: the packaged one by default), so word and keyword features fire for them too.
    `langs`, when known, are `detect_language` of each text (the clean stage's `lang`), not detected again.
    """
    texts = list(texts)
    glossary = default_glossary() if glossary is None else glossary
    langs = detect_languages(texts) if langs is None else list(langs)
    rows = []
    for batch in polish.analyze_tokens(texts, lemmatizer=lemmatizer, langs=langs):
        first = len(rows)
        # Folded lemmas let keywords match comments typed without Polish letters; "?" marks questions.
        lemmas = batch.per_text(batch.folded, _is_lemma_word(batch.folded), list)
        own_lemmas = batch.per_text(batch.lemma, batch.content, list)
        # A lemma holding a space (a grouped number, "1 200") is several words to the columns' readers: such a
        # text's words are split from its joined strings.
        resplit = batch.texts_with(~batch.one_word).tolist()
        for k, (own_terms, lemma_terms, words) in enumerate(zip(own_lemmas, lemmas, batch.words.tolist())):
            text, lang = texts[first + k], langs[first + k]
            glossary_lang = _glossary_language(text, lang)
            translated = glossary.translate(batch.tokens_of(k), glossary_lang) if glossary.covers(glossary_lang) else []
            own = " ".join(own_terms)
            content = _joined(own, translated)
            folded_lemmas = _joined(" ".join(lemma_terms), [fold(t) for t in translated])
            rows.append((
                content,
                folded_lemmas,
                fold_comment(text),
                fold(text.strip().split("\n", 1)[0][:_HEAD_CHARS]),
                lang,
                words,
                own,
                content.split() if translated or resplit[k] else own_terms,
                folded_lemmas.split() if translated or resplit[k] else lemma_terms,
            ))
    return pd.DataFrame(rows, columns=list(ANALYSED_COLUMNS))


def terms(analysed: pd.DataFrame, column: str) -> list[list[str]]:
    """The words (`str.split()`) of each text's `content` or `lemmas`, as `analyse` keeps them: the strings the
    lemma columns are joined from, so splitting them again, and hashing each new word to look it up, is saved."""
    return analysed[f"{column}_terms"].tolist()


def _is_lemma_word(folded: np.ndarray) -> np.ndarray:
    """Which of the folded lemmas `analyse` keeps in its `lemmas` column: those with a letter or digit, and "?"."""
    return np.fromiter((t.isalnum() or t == "?" or any(ch.isalnum() for ch in t) for t in folded.tolist()),
                       dtype=bool, count=len(folded))


def _joined(joined: str, more: list[str]) -> str:
    """`" ".join` of the words of `joined` (words joined by spaces) and `more`."""
    return f"{joined} {' '.join(more)}" if joined and more else joined or " ".join(more)


# Content lemmas that say nothing about a goal ("test", "ok", "brak uwag", "nie mam uwag").
_EMPTY_WORDS = frozenset({"uwaga", "brak", "nie", "mieć", "test", "testowy", "ok", "okej", "dziękować", "dziękuję",
                          "pozdrawiać", "pozdrowienie", "treść", "asdf", "xxx", "żaden"})
# Three words cannot carry a goal even when they are not in the list ("Proszę o kontakt", "zgadzam się").
SHORT_COMMENT_WORDS = 3


def says_nothing(analysed: pd.DataFrame) -> np.ndarray:
    """Per analysed text, whether it says nothing a goal could be read from: at most `SHORT_COMMENT_WORDS` words
    or no content lemma outside the content-free words. Every classifier
    flags such a comment for review and caps its confidence."""
    return np.array([
        words <= SHORT_COMMENT_WORDS or _EMPTY_WORDS.issuperset(content)  # stops at the first other word
        for content, words in zip(terms(analysed, "content"), analysed["words"].tolist())
    ], dtype=bool)


def keyword_phrases(taxonomy: Taxonomy) -> list[tuple[tuple[str, ...], ...]]:
    """Per label, its keywords as tuples of lemmas (lower case, with Polish letters), lemmatised like the texts."""
    phrases = []
    for label in taxonomy.labels:
        label_phrases = []
        for lemmas in polish.lemmatize_words(label.keywords):
            phrase = tuple(lemmas.lower().split())
            if phrase:
                label_phrases.append(phrase)
        phrases.append(tuple(dict.fromkeys(label_phrases)))
    return phrases


class KeywordMatcher(BaseEstimator, TransformerMixin):
    """Per-label keyword hit counts (log-scaled) from a space-joined folded lemma string.

    `phrases[k]` holds label k's keywords as tuples of lemmas; a phrase matches contiguous lemmas, compared
    folded, and is reported as the taxonomy spells it (with Polish letters), as staff read it in the evidence.
    """

    def __init__(self, phrases: Sequence[Sequence[tuple[str, ...]]] = (), weight: float = 1.0):
        self.phrases = phrases
        self.weight = weight

    def fit(self, X: Iterable[str], y: object = None) -> "KeywordMatcher":
        # first folded lemma -> (label index, folded phrase, spelled phrase); one entry per folded phrase and label
        index: dict[str, dict[tuple[int, tuple[str, ...]], str]] = {}
        for k, label_phrases in enumerate(self.phrases):
            for phrase in label_phrases:
                folded = tuple(fold(" ".join(phrase)).split())
                index.setdefault(folded[0], {}).setdefault((k, folded), " ".join(phrase))
        self.index_ = {word: [(k, folded, spelled) for (k, folded), spelled in entries.items()]
                       for word, entries in index.items()}
        self.n_labels_ = len(self.phrases)
        return self

    def matches(self, lemma_string: str) -> list[tuple[int, str]]:
        """(label index, matched phrase as spelled in the taxonomy) for every keyword occurrence."""
        return self.matches_words(lemma_string.split())

    def matches_words(self, words: list[str]) -> list[tuple[int, str]]:
        """`matches` of the lemma string whose words (`str.split()`) these are."""
        found: list[tuple[int, str]] = []
        # The few words that start a keyword found first, in one pass: most words start none.
        for i in [i for i, word in enumerate(words) if word in self.index_]:
            self._match_at(words, i, found)
        return found

    def matches_from(self, words: list[list[str]], starts: np.ndarray) -> list[list[tuple[int, str]]]:
        """`matches_words` of each text's words, given the places of the words that start a keyword (`LemmaTable`):
        positions in the texts' words one after another, ascending."""
        found: list[list[tuple[int, str]]] = [[] for _ in words]
        sizes = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        ends = np.cumsum(sizes)
        rows = np.searchsorted(ends, starts, side="right")
        for row, i in zip(rows.tolist(), (starts - (ends - sizes)[rows]).tolist()):
            self._match_at(words[row], i, found[row])
        return found

    def _match_at(self, words: list[str], i: int, found: list[tuple[int, str]]) -> None:
        for k, phrase, spelled in self.index_[words[i]]:
            if tuple(words[i:i + len(phrase)]) == phrase:
                found.append((k, spelled))

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        return self.counts([self.matches(text) for text in X])

    def counts(self, matches: Sequence[list[tuple[int, str]]]) -> sp.csr_matrix:
        """The block (`transform`) of the texts whose `matches` these are."""
        rows = [i for i, found in enumerate(matches) for _ in found]
        cols = [k for found in matches for k, _ in found]
        # float32 like the other blocks, so stacking them needs no conversion
        counts = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                               shape=(len(matches), self.n_labels_))
        counts.sum_duplicates()
        counts.data = self.weight * np.log1p(counts.data)
        return counts

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array([f"keywords_{k}" for k in range(self.n_labels_)], dtype=object)


class _Numbering(dict):
    """Numbers keys in the order first asked for: `numbering[key]` is a new key's number, its count so far. Looked up
    by a C-level `map`, the Python code runs once per distinct key, not once per occurrence."""

    def __missing__(self, key: str) -> int:
        self[key] = number = len(self)
        return number


# Words up to this long (padded) have their n-grams' slices kept: nearly every word, a few thousand slices in all.
_SLICED_LENGTH = 64


@lru_cache(maxsize=_SLICED_LENGTH)
def _gram_slices(length: int, low: int, high: int) -> tuple[slice, ...]:
    """The slices of a string of `length` characters that give its n-grams, n from `low` to `high`, by n then
    position: a new word's n-grams are cut by one C-level `map` over them rather than a Python loop per n-gram
    (cutting them is most of what a word not met before costs)."""
    return tuple(slice(i, i + n) for n in range(low, high + 1) for i in range(length - n + 1))


class _GramMemo:
    """Words' n-gram columns, remembered: a word's slot, each slot's columns a slice of one flat array (`bounds[s]` to
    `bounds[s + 1]`). A chunk's columns are gathered by array indexing; with an array per word, listing and joining
    them was a Python step per distinct word. The first `limit` words are kept; a chunk's words beyond them get
    slots for that chunk only (`forget_unkept`)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.slots: dict[str, int] = {}
        self.bounds = np.zeros(1 << 12, dtype=np.int64)  # grown by doubling: room for more slots and columns
        self.columns = np.zeros(1 << 16, dtype=np.int32)
        self.used = 0  # slots in use

    def add(self, words: list[str], columns: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """Slots for new words and their columns (`columns`: the words' one after another, `sizes[i]` of word i)."""
        start, end = self.used, self.used + len(words)
        first = self.bounds[start]
        stop = first + len(columns)
        self.bounds = room(self.bounds, end + 1)
        self.columns = room(self.columns, stop)
        self.columns[first:stop] = columns
        self.bounds[start + 1:end + 1] = first + np.cumsum(sizes)
        kept = max(0, min(len(words), self.limit - len(self.slots)))
        self.slots.update(zip(words[:kept], range(start, start + kept)))
        self.used = end
        return np.arange(start, end)

    def gather(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The slots' columns one after another, and where each slot's columns begin (and the last's end)."""
        starts = self.bounds[slots]
        sizes = self.bounds[slots + 1] - starts
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        return self.columns[np.repeat(starts - indptr[:-1], sizes) + np.arange(indptr[-1])], indptr

    def forget_unkept(self) -> None:
        self.used = len(self.slots)  # the kept words' slots come first


class CharNgrams(BaseEstimator, TransformerMixin):
    """TF-IDF of character n-grams within words (scikit-learn's `char_wb`), computed once per distinct word.

    Words repeat across comments far more than documents do, so remembering each word's n-gram columns makes this
    several times faster than `TfidfVectorizer(analyzer="char_wb")`. Unlike it, a padded word shorter than n
    is not counted once more as an n-gram (it already is one of its shorter n-grams).
    """

    _CACHE_LIMIT = 500_000

    def __init__(self, ngram_range: tuple[int, int] = (2, 5), dtype: type = np.float32):
        self.ngram_range = ngram_range
        self.dtype = dtype

    def _ngrams(self, word: str) -> list[str]:
        padded = f" {word} "
        slices = _gram_slices if len(padded) <= _SLICED_LENGTH else _gram_slices.__wrapped__  # a rare long word
        return list(map(padded.__getitem__, slices(len(padded), *self.ngram_range)))

    def _columns(self, word: str, grow: bool) -> list[int]:
        grams = self._ngrams(word)
        vocabulary = self.vocabulary_
        if grow:
            for gram in grams:
                vocabulary.setdefault(gram, len(vocabulary))
        return list(filter((-1).__ne__, map(vocabulary.get, grams, itertools.repeat(-1))))

    def _new_columns(self, words: list[str], grow: bool) -> tuple[np.ndarray, np.ndarray]:
        """The columns of the words' n-grams, word after word, and how many each word has. A fitted vocabulary's are
        found for all the words at once (`GramCodes`); a growing one numbers new n-grams in the order met."""
        codes = None if grow else self._codes()
        if codes is not None:
            return codes.word_columns(words, *self.ngram_range)
        columns = [self._columns(word, grow) for word in words]
        return (np.fromiter(itertools.chain.from_iterable(columns), dtype=np.int32),
                np.fromiter(map(len, columns), dtype=np.int64, count=len(columns)))

    def _codes(self) -> GramCodes | None:
        if "_gram_codes" not in self.__dict__:
            self._gram_codes = GramCodes.of(self.vocabulary_, self.ngram_range[1])
        return self._gram_codes

    def _counts(self, X: Iterable[str], grow: bool) -> sp.csr_matrix:
        # Counts = (texts x distinct words) @ (distinct words x n-grams): the Python work is one dictionary look-up
        # per word occurrence; each distinct word's n-grams are listed once and summed by sparse arithmetic.
        memo = self._memo()
        word_ids = _Numbering()
        ids: list[int] = []
        indptr = [0]
        for text in X:
            ids.extend(map(word_ids.__getitem__, text.split()))
            indptr.append(len(ids))
        slots = np.fromiter(map(memo.slots.get, word_ids, itertools.repeat(-1)), dtype=np.int64, count=len(word_ids))
        new = np.flatnonzero(slots < 0)
        if len(new):
            words = list(word_ids)
            new_words = [words[i] for i in new.tolist()]
            slots[new] = memo.add(new_words, *self._new_columns(new_words, grow))
        flat, word_indptr = memo.gather(slots)
        memo.forget_unkept()
        texts = sp.csr_matrix((np.ones(len(ids), dtype=self.dtype), np.array(ids, dtype=np.int32), np.array(indptr)),
                              shape=(len(indptr) - 1, len(word_ids)))
        grams = sp.csr_matrix((np.ones(len(flat), dtype=self.dtype), flat, word_indptr),
                              shape=(len(word_ids), len(self.vocabulary_)))
        # Integer counts, exact in float32 whatever the order of the sums. The TF-IDF rows are normalised in the order
        # of their indices, so those must be sorted (the same floats): the product is made transposed (n-grams x
        # texts, a row's entries unsorted) and turned into texts x n-grams by the linear CSC-to-CSR pass, which
        # lists each row's n-grams in order; sorting every row of the product took twice as long.
        return (grams.T.tocsr() @ texts.T.tocsr()).T.tocsr()

    def _memo(self) -> _GramMemo:
        if getattr(self, "_word_cache", None) is None:
            self._word_cache = _GramMemo(self._CACHE_LIMIT)
        return self._word_cache

    def fit_transform(self, X: Iterable[str], y: object = None) -> sp.csr_matrix:
        self.vocabulary_: dict[str, int] = {}
        self._word_cache = None
        self.__dict__.pop("_gram_codes", None)  # a new vocabulary's codes are made when it is first read
        counts = self._counts(list(X), grow=True)
        self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts)
        self._word_cache = None  # the memo of a growing vocabulary lists columns of a smaller matrix; start over
        return self.tfidf_.transform(counts).astype(self.dtype)

    def fit(self, X: Iterable[str], y: object = None) -> "CharNgrams":
        self.fit_transform(X)
        return self

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        # The counts are this call's own and already `dtype`: weighted in place, not copied twice.
        return self.tfidf_.transform(self._counts(list(X), grow=False), copy=False).astype(self.dtype, copy=False)

    def __getstate__(self) -> dict:
        # The words' memo and the vocabulary's codes are rebuilt on demand; pickling them would bloat the model file.
        return {k: v for k, v in self.__dict__.items() if k not in ("_word_cache", "_gram_codes")}


def build_features(taxonomy: Taxonomy, *, word_ngrams: tuple[int, int], char_ngrams: tuple[int, int], min_df: int,
                   char_weight: float, head_weight: float, keyword_weight: float) -> ColumnTransformer:
    """The feature union over an `analyse` frame; blocks are named `words`, `chars`, `keywords` (and `head`, unless
    `head_weight` is 0). The values are `CommentClassifier`'s parameters of the same names."""
    words = TfidfVectorizer(analyzer="word", token_pattern=r"\S+", lowercase=False, ngram_range=word_ngrams,
                            min_df=min_df, sublinear_tf=True, dtype=np.float32)
    chars = CharNgrams(char_ngrams)
    keywords = KeywordMatcher(keyword_phrases(taxonomy), keyword_weight)
    blocks = [("words", words, "content"), ("chars", chars, "folded"), ("keywords", keywords, "lemmas")]
    if head_weight:
        head = CharNgrams(char_ngrams)
        blocks.append(("head", head, "head"))
    return ColumnTransformer(
        blocks,
        transformer_weights={"chars": char_weight, "head": head_weight},
        sparse_threshold=1.0,
    )


def split_tfidf(vectorizer: TfidfVectorizer, words: list[list[str]]) -> sp.csr_matrix:
    """`vectorizer.transform(docs)` for a fitted vectorizer whose terms are the documents' words split at whitespace
    (the word block's `token_pattern` "\\S+" with single words, the comment type's `split_lemmas`), given each
    document's `str.split()` words (`terms`): they are looked up in the vocabulary by one C-level `map`, the counts
    summed by sparse arithmetic, then the vectorizer's own TF-IDF weighting, the same steps in the same order, so
    the same floats. The vectorizer's Python loop per word was most of the two blocks' time."""
    flat = list(itertools.chain.from_iterable(words))
    ids = np.fromiter(map(vectorizer.vocabulary_.get, flat, itertools.repeat(-1)), dtype=np.int64, count=len(flat))
    return tfidf_of_columns(vectorizer, ids, words)


def tfidf_of_columns(vectorizer: TfidfVectorizer, ids: np.ndarray, words: list[list[str]]) -> sp.csr_matrix:
    """`split_tfidf` given the vocabulary's column of each of the documents' words, one after another (-1 for a
    word it lacks)."""
    rows = np.repeat(np.arange(len(words)), [len(w) for w in words])
    known = ids >= 0
    X = sp.csr_matrix((np.ones(int(known.sum()), dtype=vectorizer.dtype), (rows[known], ids[known])),
                      shape=(len(words), len(vectorizer.vocabulary_)))
    X.sum_duplicates()  # sorted indices, as CountVectorizer leaves them
    if vectorizer.sublinear_tf:
        np.log(X.data, X.data)
        X.data += 1.0
    if vectorizer.use_idf:
        X.data *= vectorizer.idf_[X.indices]
    return normalize(X, norm=vectorizer.norm, copy=False) if vectorizer.norm is not None else X


class LemmaTable:
    """A process's lemmas numbered as first met, with each one's column in a vocabulary (the comment type's) and
    whether it starts a keyword: the comment type and the keyword search read the same lemmas (`lemmas_terms`), so
    each lemma of a chunk is looked up once for both, and only lemmas not met before reach Python code. Once
    `limit` lemmas are numbered, the table starts afresh (the numbers never leave one `look_up`)."""

    def __init__(self, vocabulary: dict[str, int], keywords: KeywordMatcher, limit: int = 300_000):
        self.vocabulary = vocabulary
        self.keywords = keywords
        self.limit = limit
        self._start_afresh()

    def _start_afresh(self) -> None:
        self.numbers: dict[str, int] = {}
        self.columns = np.zeros(1 << 12, dtype=np.int64)  # grown by doubling (`room`)
        self.starts = np.zeros(1 << 12, dtype=bool)

    def look_up(self, words: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """The vocabulary's column of each of the texts' words, one after another (-1 for a word it lacks), and the
        places in that order of the words that start a keyword (`KeywordMatcher.matches_from`)."""
        flat = list(itertools.chain.from_iterable(words))
        if len(self.numbers) + len(flat) > self.limit:
            self._start_afresh()
        numbers = np.fromiter(map(self.numbers.get, flat, itertools.repeat(-1)), dtype=np.int64, count=len(flat))
        new = np.flatnonzero(numbers < 0).tolist()
        if new:
            self._add(dict.fromkeys(flat[i] for i in new))
            numbers[new] = list(map(self.numbers.__getitem__, (flat[i] for i in new)))
        return self.columns[numbers], np.flatnonzero(self.starts[numbers])

    def _add(self, lemmas: dict[str, None]) -> None:
        first, end = len(self.numbers), len(self.numbers) + len(lemmas)
        self.numbers.update(zip(lemmas, range(first, end)))
        self.columns = room(self.columns, end)
        self.starts = room(self.starts, end)
        self.columns[first:end] = list(map(self.vocabulary.get, lemmas, itertools.repeat(-1)))
        self.starts[first:end] = list(map(self.keywords.index_.__contains__, lemmas))


def _splits_words(vectorizer: TfidfVectorizer) -> bool:
    """Whether the vectorizer's terms are its documents' `str.split()` words (`split_tfidf` may count them)."""
    return (vectorizer.analyzer == "word" and vectorizer.token_pattern == r"\S+" and not vectorizer.lowercase
            and tuple(vectorizer.ngram_range) == (1, 1) and not vectorizer.binary
            and vectorizer.preprocessor is None and vectorizer.tokenizer is None and vectorizer.stop_words is None
            and vectorizer.strip_accents is None)


def feature_matrix(features: ColumnTransformer, analysed: pd.DataFrame) -> sp.csr_matrix:
    """`features.transform(analysed)` (a fitted `build_features` union), each block's transformer called directly on
    its column as a list: the same matrix without `ColumnTransformer.transform`'s checks of the frame, its joblib
    dispatch and the blocks' iteration of Arrow-backed columns (an eighth of the union's time on a worker's chunk of
    1,000 comments)."""
    return features_and_matches(features, analysed)[0]


def features_and_matches(features: ColumnTransformer, analysed: pd.DataFrame, keyword_starts: np.ndarray | None = None
                         ) -> tuple[sp.csr_matrix, list[list[tuple[int, str]]], sp.csr_matrix]:
    """`feature_matrix`, each text's keyword matches (`KeywordMatcher.matches`) that its `keywords` block counts,
    and its `words` block: the evidence names the matches (searching the lemmas once serves both) and ranks the
    block's words, which slicing them out of the stacked matrix again took a tenth of the evidence's time.
    `keyword_starts`, when given, are the places of the keyword block's words that start a keyword
    (`LemmaTable.look_up`)."""
    weights = features.transformer_weights or {}
    blocks = []
    matches: list[list[tuple[int, str]]] = []
    words = None
    for name, transformer, column in features.transformers_:
        if transformer == "drop":  # the remainder: the columns no block reads
            continue
        if isinstance(transformer, KeywordMatcher):
            matches = (list(map(transformer.matches_words, terms(analysed, column))) if keyword_starts is None
                       else transformer.matches_from(terms(analysed, column), keyword_starts))
            block = transformer.counts(matches)
        elif isinstance(transformer, TfidfVectorizer) and _splits_words(transformer):
            block = split_tfidf(transformer, terms(analysed, column))
        else:
            block = transformer.transform(analysed[column].tolist())
        blocks.append(block if weights.get(name) is None else block * weights[name])
        if name == "words":
            words = blocks[-1]
    return sp.hstack(blocks).tocsr(), matches, words


def drop_fit_only_state(features: ColumnTransformer | TfidfVectorizer) -> None:
    """TfidfVectorizer keeps every pruned term in `stop_words_`, only for introspection; it bloats the pickle."""
    parts = [t for _, t, _ in features.transformers_] if isinstance(features, ColumnTransformer) else [features]
    for transformer in parts:
        if isinstance(transformer, TfidfVectorizer) and hasattr(transformer, "stop_words_"):
            transformer.stop_words_ = None
