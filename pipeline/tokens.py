"""The ORTH hashes of a spaCy tokenizer's tokens for a batch of texts, without building a `Doc` per text.

spaCy's tokenizer (3.8, `Tokenizer._tokenize_affixes`) cuts a text wherever whitespace starts or ends and tokenizes
each piece alone: a run of non-space characters by affixes, special cases and `url_match`, and the whitespace run
after it without its first character if that is " " (a run opening the text, whole). So a text's tokens are its
pieces' tokens one after another, where a piece is a non-space run with the whitespace after it (`_PIECE`), and
a piece's tokens can be looked up by its text once tokenized alone: a batch's words repeat, so only its distinct
pieces are looked up and only the new ones tokenized, and every token takes its hash by array indexing.

The one way a piece's neighbours count: the tokenizer then matches special cases over the whole `Doc`
(`_apply_special_cases`), where a match that crosses a space retokenizes nothing (the rules holding whitespace are
single characters) but, when it is at least as long and overlaps its first or last token, keeps a match inside a
piece from being applied ("Dz.U ." stays "Dz" "." "U" "." for "Dz.U."'s sake, "Dz.U" alone is "Dz." "U"). A piece
is "risky" when that pass joined some of its tokens and a special case's tokens could run over the piece's edge
onto the first or last of them: a text holding a risky piece, or any text `whole` says a tokenizer's own later step
may join across pieces, is tokenized whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import chain, repeat

import numpy
from spacy.attrs import IDX, ORTH
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

# `\s` is `str.isspace`, the test the tokenizer cuts at (checked for every code point in tests/test_tokens.py).
_PIECE = re.compile(r"\A\s+|\S+\s*")
_RISKY, _NEW = -1, -2  # a piece's id when its text must be tokenized whole; before it has one


class PieceOrths:
    """Tokens' ORTH hashes as `tokenizer(text).to_array(ORTH)` gives them, for texts in batches.

    `whole(text)` is true for a text whose tokens a subclass's `__call__` may join across pieces after spaCy's
    `Tokenizer.__call__` has run. `count(text)` is a number the table keeps per piece and sums per text, so it must
    be the sum of `count` of the text's pieces. At most `max_pieces` pieces are kept: then the table starts afresh
    (the hashes' strings stay in the tokenizer's vocabulary, which its owner bounds).
    """

    def __init__(self, tokenizer: Tokenizer, whole: Callable[[str], object], max_pieces: int,
                 count: Callable[[str], int]):
        self._tokenize = tokenizer
        self._whole = whole
        self._count = count
        self._max_pieces = max_pieces
        self._rules = {tokenizer.vocab.strings.add(rule) for rule in tokenizer.rules if not rule.isspace()}
        self._unmatched = _without_special_matches(tokenizer, tokenizer.rules)
        # What that pass matches: each special case as the affix patterns alone tokenize it (`add_special_case`).
        unruled = _without_special_matches(tokenizer, rules=None)
        patterns = (unruled(rule).to_array(ORTH).tolist() for rule in tokenizer.rules)
        self._patterns = [pattern for pattern in patterns if len(pattern) > 1]
        self._separable = not any(tokenizer.vocab.strings[orth].isspace() for pattern in self._patterns
                                  for orth in pattern)
        self._forget()

    def _forget(self) -> None:
        self._ids: dict[str, int] = {}
        self._starts = numpy.zeros(1024, dtype=numpy.int64)  # each piece's first token in `_table`, by id
        self._lengths = numpy.zeros(1024, dtype=numpy.int64)
        self._counts = numpy.zeros(1024, dtype=numpy.int64)
        self._table = numpy.zeros(4096, dtype=numpy.uint64)
        self._pieces = self._tokens = 0

    def orths(self, texts: Sequence[str]) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """The tokens' ORTH hashes of `texts`, text after text, how many tokens each text has, and its `count`."""
        if len(self._ids) > self._max_pieces:
            self._forget()
        pieces = [_PIECE.findall(text) for text in texts]
        n_pieces = numpy.fromiter(map(len, pieces), dtype=numpy.int64, count=len(pieces))
        flat = list(chain.from_iterable(pieces))
        piece_ids = numpy.fromiter(map(self._ids.get, flat, repeat(_NEW)), dtype=numpy.int64, count=len(flat))
        new = numpy.flatnonzero(piece_ids == _NEW).tolist()
        if new:
            new_pieces = [flat[k] for k in new]
            self._add_all(list(dict.fromkeys(new_pieces)))
            piece_ids[new] = list(map(self._ids.__getitem__, new_pieces))
        text_of = numpy.repeat(numpy.arange(len(texts)), n_pieces)
        whole = numpy.zeros(len(texts), dtype=bool)
        whole[text_of[piece_ids == _RISKY]] = True
        whole |= numpy.fromiter((bool(self._whole(text)) for text in texts), dtype=bool, count=len(texts))
        # The pieces' tokens (none for a text tokenized whole): token j of a piece is `_table[start + j]`.
        kept = ~whole[text_of]
        lengths = self._lengths[piece_ids[kept]]
        ends = numpy.cumsum(lengths)
        positions = numpy.repeat(self._starts[piece_ids[kept]] - (ends - lengths), lengths)
        orths = self._table[positions + numpy.arange(len(positions))]
        sizes = numpy.bincount(text_of[kept], weights=lengths, minlength=len(texts)).astype(numpy.int64)
        counts = numpy.bincount(text_of[kept], weights=self._counts[piece_ids[kept]],
                                minlength=len(texts)).astype(numpy.int64)
        if whole.any():
            at = numpy.flatnonzero(whole)
            counts[at] = [self._count(texts[k]) for k in at.tolist()]
            alone = [self._tokenize(texts[k]).to_array(ORTH) for k in at.tolist()]
            before = (numpy.cumsum(sizes) - sizes)[at]  # where each goes among the other texts' tokens
            sizes[at] = [len(a) for a in alone]
            orths = numpy.insert(orths, numpy.repeat(before, sizes[at]), numpy.concatenate(alone))
        return orths, sizes, counts

    def _add_all(self, pieces: list[str]) -> None:
        """Tokenize the new `pieces` and keep their tokens. A piece whose whitespace is at most one " " (which makes
        no token) is tokenized with the others, their non-space runs joined by line breaks in one text: a line break
        is a token of its own, which no special case of several tokens holds (`_separable`), so each run's tokens
        are what it gives alone. A piece of other whitespace, or one whose tokens hold a special case's string
        (`_risky` asks about it), is tokenized alone."""
        runs = [piece[:-1] if piece[-1] == " " else piece for piece in pieces]
        together = ([k for k, run in enumerate(runs) if run and not (run[0].isspace() or run[-1].isspace())]
                    if self._separable else [])
        if together:
            joined = [runs[k] for k in together]
            doc = self._tokenize("\n".join(joined))
            orths, starts = doc.to_array(ORTH), doc.to_array(IDX).astype(numpy.int64)
            lengths = numpy.fromiter(map(len, joined), dtype=numpy.int64, count=len(joined))
            begins = numpy.cumsum(lengths + 1) - lengths - 1
            firsts, ends = numpy.searchsorted(starts, begins), numpy.searchsorted(starts, begins + lengths)
            for k, a, b in zip(together, firsts.tolist(), ends.tolist()):
                if b - a > 1 and not self._rules.isdisjoint(orths[a:b].tolist()):
                    self._add(pieces[k])
                else:
                    self._store(pieces[k], orths[a:b])
        for k in sorted(set(range(len(pieces))).difference(together)):
            self._add(pieces[k])

    def _add(self, piece: str) -> None:
        doc = self._tokenize(piece)
        orths = doc.to_array(ORTH)
        if self._risky(piece, doc, orths):
            self._ids[piece] = _RISKY
        else:
            self._store(piece, orths)

    def _store(self, piece: str, orths: numpy.ndarray) -> None:
        piece_id, start = self._pieces, self._tokens
        if piece_id == len(self._starts):
            self._starts, self._lengths, self._counts = (numpy.resize(a, 2 * len(a))
                                                         for a in (self._starts, self._lengths, self._counts))
        while start + len(orths) > len(self._table):
            self._table = numpy.resize(self._table, 2 * len(self._table))
        self._table[start:start + len(orths)] = orths
        self._starts[piece_id], self._lengths[piece_id] = start, len(orths)
        self._counts[piece_id] = self._count(piece)
        self._pieces, self._tokens = piece_id + 1, start + len(orths)
        self._ids[piece] = piece_id

    def _risky(self, piece: str, doc: Doc, orths: numpy.ndarray) -> bool:
        # A special-case match inside a piece leaves a rule's string as a token; most such tokens were found as
        # affixes, which the unmatched tokenizer finds too.
        if len(orths) < 2 or self._rules.isdisjoint(orths.tolist()):
            return False
        unmatched = self._unmatched(piece)
        tokens = unmatched.to_array(ORTH).tolist()
        if tokens == orths.tolist():
            return False
        # Each token of `doc` joins the unmatched tokens from the one starting where it starts.
        starts, joined_starts = unmatched.to_array(IDX), doc.to_array(IDX)
        first = numpy.searchsorted(starts, joined_starts).clip(max=len(starts) - 1)
        if not numpy.array_equal(starts[first], joined_starts):
            return True
        last = numpy.append(first[1:], len(starts)) - 1
        return any(_runs_over(pattern, tokens, a, b) for a, b in zip(first.tolist(), last.tolist()) if b > a
                   for pattern in self._patterns if len(pattern) > b - a)


def _runs_over(pattern: list[int], tokens: list[int], a: int, b: int) -> bool:
    """Whether `pattern` can match tokens that start before `tokens` or end after them, among them token `a` or
    token `b`."""
    for start in range(1 - len(pattern), len(tokens)):
        end = start + len(pattern)
        lo, hi = max(start, 0), min(end, len(tokens))
        if (start < 0 or end > len(tokens)) and (start <= a < end or start <= b < end) and \
                pattern[lo - start:hi - start] == tokens[lo:hi]:
            return True
    return False


def _without_special_matches(tokenizer: Tokenizer, rules: dict | None) -> Tokenizer:
    """A tokenizer like `tokenizer` (no subclass's later steps), with the special cases `rules`, but for its final
    pass over special cases.

    A special case goes into that pass when the affix patterns find something in it (`add_special_case`), so the
    patterns find nothing while the rules are loaded."""
    loading = True

    def quiet(find: Callable, nothing: object) -> Callable:
        return lambda text: nothing if loading else find(text)

    unmatched = Tokenizer(tokenizer.vocab, rules=rules,
                          prefix_search=quiet(tokenizer.prefix_search, None),
                          suffix_search=quiet(tokenizer.suffix_search, None),
                          infix_finditer=quiet(tokenizer.infix_finditer, ()),
                          token_match=tokenizer.token_match, url_match=tokenizer.url_match)
    loading = False
    return unmatched
