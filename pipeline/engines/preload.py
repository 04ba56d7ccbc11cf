"""Data the fork server (`processes.PRELOAD`) loads once for every process it forks; importing this module loads
it, so nothing but the server imports it.

py3langid's model is what every worker would otherwise load for itself at its first comment without Polish letters:
0.5 s of CPU (mostly LZMA) and 73 MB, per worker. Loaded in the server, each forked process starts with it, its pages
shared copy-on-write. Loading it starts no thread and opens nothing that stays open, so the server stays safe to
fork. The other data a worker loads stay with the worker: the Polish lemmatizer's table lives in the cache folder of
the caller's environment when the pool is made, which the server cannot know, and simplemma's English and Ukrainian
dictionaries are needed only by batches with comments in those languages.
"""

from pipeline.clean import language_identifier

language_identifier()
