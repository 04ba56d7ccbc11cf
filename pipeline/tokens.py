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

Within a piece the tokenizer cuts again between the non-space run and its whitespace, so a piece's tokens are its
run's, then its whitespace's. Most new runs are words of letters alone, which a tokenizer whose affix and URL
patterns all need a character other than a letter (`letters_alone`, `polish.PolishTokenizer`'s, which
tests/test_tokens.py reads pattern by pattern) leaves whole unless a special case names them: such a piece is
stored without the tokenizer, whose regular expressions and new vocabulary entry (spaCy computes two dozen lexical
attributes for it, which nothing here reads) cost some 17 µs a word. So is a word followed by one mark ("planu,"),
the next most common run, where the tokenizer's own prefix and suffix search say it cuts the mark off.
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
    (the hashes' strings stay in the tokenizer's vocabulary, which its owner bounds). `letters_alone` vouches that
    the tokenizer leaves a run of letters (`str.isalpha`) that is no special case one token: no prefix, suffix,
    infix or URL pattern of it matches letters alone, and it has no `token_match`; and that a subclass's
    `__call__` joins no tokens of a run of letters and one other character.
    """

    def __init__(self, tokenizer: Tokenizer, whole: Callable[[str], object], max_pieces: int,
                 count: Callable[[str], int], letters_alone: bool = False):
        self._tokenize = tokenizer
        self._whole = whole
        self._count = count
        self._max_pieces = max_pieces
        self._strings = tokenizer.vocab.strings
        self._rules = {self._strings.add(rule) for rule in tokenizer.rules if not rule.isspace()}
        self._special = frozenset(tokenizer.rules)
        self._unmatched = _without_special_matches(tokenizer, tokenizer.rules)
        # What that pass matches: each special case as the affix patterns alone tokenize it (`add_special_case`).
        unruled = _without_special_matches(tokenizer, rules=None)
        patterns = (unruled(rule).to_array(ORTH).tolist() for rule in tokenizer.rules)
        self._patterns = [pattern for pattern in patterns if len(pattern) > 1]
        self._separable = not any(tokenizer.vocab.strings[orth].isspace() for pattern in self._patterns
                                  for orth in pattern)
        self._letters_alone = letters_alone
        self._find_prefix, self._find_suffix = tokenizer.find_prefix, tokenizer.find_suffix
        self._spaces: dict[str, list[int]] = {}  # whitespace after a run -> its tokens
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
        """Tokenize the new `pieces` and keep their tokens: a piece's run's tokens, then its whitespace's (each kind
        of whitespace tokenized once). No special case of several tokens holds whitespace (`_separable`), so the
        special-case pass never joins a run's tokens with its whitespace's, and a line break is a token of its own:
        the runs are tokenized together, joined by line breaks in one text, each giving what it gives alone. A run
        of letters alone is one token (`letters_alone`), and so is a word of letters and the mark after it that the
        tokenizer's own affix search cuts off (`_word_and_mark`): both are stored without the tokenizer. A piece
        whose run's tokens hold a special case's string (`_risky` asks about it), and a text's opening whitespace,
        are tokenized alone."""
        if not self._separable:
            for piece in pieces:
                self._add(piece)
            return
        runs = [piece.rstrip() for piece in pieces]
        spaces = [piece[len(run):] for piece, run in zip(pieces, runs)]
        for space in set(spaces).difference(self._spaces):
            # The tokenizer cuts a leading " " off the whitespace after a run (it marks the run's last token).
            rest = space[1:] if space[:1] == " " else space
            self._spaces[space] = self._tokenize(rest).to_array(ORTH).tolist() if rest else []
        words = ([k for k, run in enumerate(runs) if run.isalpha() and run not in self._special]
                 if self._letters_alone else [])
        add = self._strings.add
        stored = ([pieces[k] for k in words], [[add(runs[k]), *self._spaces[spaces[k]]] for k in words])
        others = sorted(set(range(len(pieces))).difference(words))
        marked = [k for k in others if self._word_and_mark(runs[k])] if self._letters_alone else []
        found = [(k, [add(runs[k][:-1]), add(runs[k][-1])]) for k in marked]
        together = [k for k in sorted(set(others).difference(marked)) if runs[k]]
        if together:
            joined = [runs[k] for k in together]
            doc = self._tokenize("\n".join(joined))
            orths, starts = doc.to_array(ORTH), doc.to_array(IDX).astype(numpy.int64)
            lengths = numpy.fromiter(map(len, joined), dtype=numpy.int64, count=len(joined))
            begins = numpy.cumsum(lengths + 1) - lengths - 1
            firsts, ends = numpy.searchsorted(starts, begins), numpy.searchsorted(starts, begins + lengths)
            orths = orths.tolist()
            found.extend((k, orths[a:b]) for k, a, b in zip(together, firsts.tolist(), ends.tolist()))
        for k, run_orths in found:
            if not self._rules.isdisjoint(run_orths):
                self._add(pieces[k])
            else:
                stored[0].append(pieces[k])
                stored[1].append(run_orths + self._spaces[spaces[k]])
        self._store_all(*stored)
        for k in others:
            if not runs[k]:
                self._add(pieces[k])

    def _word_and_mark(self, run: str) -> bool:
        """Whether the tokenizer makes `run` a word of letters and the one character after it (`letters_alone`):
        spaCy's affix loop (`Tokenizer._split_affixes`), on a run that is no special case, looks for a prefix first
        ("długo-" may be one), then for a suffix; when that is the last character alone, what is left is letters,
        in which no affix, infix or URL pattern matches (a special case among them leaves a rule's string, which
        sends the piece to the tokenizer after all, `_add_all`). So asking the tokenizer's own `find_prefix` and
        `find_suffix` settles it, whatever the patterns (the suffix "." looks behind at the letter before it), at a
        fraction of a tokenizer call."""
        return (run[:-1].isalpha() and not run[-1:].isalpha() and run not in self._special
                and not self._find_prefix(run) and self._find_suffix(run) == 1)

    def _add(self, piece: str) -> None:
        doc = self._tokenize(piece)
        orths = doc.to_array(ORTH)
        if self._risky(piece, doc, orths):
            self._ids[piece] = _RISKY
        else:
            self._store(piece, orths)

    def _store(self, piece: str, orths: numpy.ndarray) -> None:
        self._store_all([piece], [orths])

    def _store_all(self, pieces: list[str], orths: Sequence[Sequence[int]]) -> None:
        """Keep the tokens' hashes of each of `pieces`, the next ids and table rows, in arrays at once."""
        lengths = numpy.fromiter(map(len, orths), dtype=numpy.int64, count=len(orths))
        first, start = self._pieces, self._tokens
        end, stop = first + len(pieces), start + int(lengths.sum())
        self._starts, self._lengths, self._counts = (room(a, end) for a in (self._starts, self._lengths, self._counts))
        self._table = room(self._table, stop)
        self._table[start:stop] = numpy.fromiter(chain.from_iterable(orths), dtype=numpy.uint64, count=stop - start)
        self._starts[first:end] = start + numpy.cumsum(lengths) - lengths
        self._lengths[first:end] = lengths
        self._counts[first:end] = list(map(self._count, pieces))
        self._pieces, self._tokens = end, stop
        self._ids.update(zip(pieces, range(first, end)))

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


def room(array: numpy.ndarray, size: int) -> numpy.ndarray:
    """`array`, or it resized to twice its length until it holds `size` items (the rows past its use unread: they
    repeat the old rows, not zeros)."""
    if size <= len(array):
        return array
    grown = max(len(array), 1)
    while grown < size:
        grown *= 2
    return numpy.resize(array, grown)


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
