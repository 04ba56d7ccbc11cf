"""Data the fork server (`processes.PRELOAD`) loads once for every process it forks; importing this module loads
it, so nothing but the server imports it.

py3langid's model is what every worker would otherwise load for itself at its first comment without Polish letters:
0.5 s of CPU (mostly LZMA) and 73 MB, per worker. Loaded in the server, each forked process starts with it, its pages
shared copy-on-write. The same holds for triage's Polish word list (wordfreq's, as a set of 450,000 words: about
0.4 s of CPU and 45 MB per worker on the December 8 machine), which each worker otherwise loads at the first part it
reads triage's findings of, while the main process clusters; a look-up in it writes nothing to the shared words.
Loading either starts no thread and opens nothing that stays open, so the server stays safe to fork. The other data
a worker loads stay with the worker: the Polish lemmatizer's table lives in the cache folder of
the caller's environment when the pool is made, which the server cannot know, and simplemma's English and Ukrainian
dictionaries are needed only by batches with comments in those languages.
"""

from pipeline.clean import language_identifier
from pipeline.triage import load_polish_words

language_identifier()
load_polish_words()
