"""Cross-lingual glossary: Polish lemmas for English and Ukrainian words, so that comments not written in Polish
still fire the Polish word and keyword features (`features.analyse` adds them next to the original words).

The data is `resources/glossary_pl.tsv` (Polish lemma or phrase, English words, Ukrainian words), written by hand
for the vocabulary of municipal consultations and NGO cooperation. Lookups are by folded word form and by its
English/Ukrainian lemma (simplemma), so inflected forms match. `Glossary.load(path)` swaps in another table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import simplemma

from pipeline.clean import fold
from pipeline.polish import lemmatize_words

LANGUAGES = ("en", "uk")
RESOURCE = "glossary_pl.tsv"


def _source_lemma(word: str, lang: str) -> str:
    return fold(simplemma.lemmatize(word, lang=lang))


class _ByLanguage(Mapping[str, dict[str, tuple[tuple[str, ...], ...]]]):
    """The glossary's table of one language is built when a text in it first needs it: building it lemmatises every
    source word, which loads simplemma's dictionary of that language (seconds each), so a night of Polish comments
    loads none."""

    def __init__(self, build: Callable[[str], dict[str, tuple[tuple[str, ...], ...]]]) -> None:
        self._build = build
        self._built: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {}

    def __getitem__(self, lang: str) -> dict[str, tuple[tuple[str, ...], ...]]:
        if lang not in LANGUAGES:
            raise KeyError(lang)
        if lang not in self._built:
            self._built[lang] = self._build(lang)
        return self._built[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


@dataclass(frozen=True)
class Glossary:
    """Per language, folded source word -> Polish phrases (each a tuple of Polish lemmas, with diacritics)."""

    entries: Mapping[str, Mapping[str, tuple[tuple[str, ...], ...]]]

    @classmethod
    def parse(cls, lines: Iterable[str], polish_lemmas: bool = True) -> "Glossary":
        rows = []
        for line in lines:
            if not line.strip() or line.startswith("#"):
                continue
            polish, *columns = line.rstrip("\n").split("\t")
            rows.append((polish.strip(), columns))
        targets = [p for p, _ in rows]
        if polish_lemmas:
            # Lemmatised like the comments' words, so a target always equals what a Polish comment would yield.
            targets = lemmatize_words(targets)
        phrases = [(tuple(target.lower().split()), columns) for target, (_, columns) in zip(targets, rows)]

        def build(lang: str) -> dict[str, tuple[tuple[str, ...], ...]]:
            table: dict[str, dict[tuple[str, ...], None]] = {}
            for phrase, columns in phrases:
                if not phrase:
                    continue
                for word in dict(zip(LANGUAGES, columns)).get(lang, "").split(","):
                    word = word.strip().lower()
                    if not word:
                        continue
                    for key in {fold(word), _source_lemma(word, lang)}:
                        if key:
                            table.setdefault(key, {})[phrase] = None
            return {k: tuple(v) for k, v in table.items()}

        return cls(_ByLanguage(build))

    @classmethod
    def load(cls, path: Path | str | None = None) -> "Glossary":
        text = (Path(path).read_text(encoding="utf-8") if path is not None
                else resources.files("pipeline").joinpath("resources", RESOURCE).read_text(encoding="utf-8"))
        return cls.parse(text.splitlines())

    def covers(self, lang: str) -> bool:
        """Whether `translate` can give lemmas for a text in `lang` (a table of it is not empty)."""
        return bool(self.entries.get(lang))

    def translate(self, tokens: Sequence[str], lang: str) -> list[str]:
        """Polish lemmas (with diacritics) for the tokens of a text in `lang`, in text order; [] for other
        languages. A phrase target contributes its lemmas in order, so multi-word keywords can match."""
        if not self.covers(lang):
            return []
        words = self.entries[lang]
        out: list[str] = []
        for token in tokens:
            key = fold(token)
            if not key:
                continue
            phrases = dict.fromkeys(words.get(key, ()))
            phrases.update(dict.fromkeys(words.get(_source_lemma(token.lower(), lang), ())))
            for phrase in phrases:
                out.extend(phrase)
        return out


@lru_cache(maxsize=1)
def default_glossary() -> Glossary:
    return Glossary.load()
