"""Every benchmark, one after another, each in its own process so that memory figures do not mix.

    .venv/bin/python bench/run_all.py [--full]

`bench_pipeline.py` comes first: the whole run at 10k and 100k comments against spaCy's tokenizer in the same run.
`--full` adds 1M comments to it, the 1M-comment clustering run, the datasketch reference at 100k and the Dask engine
on 1 and 2 workers.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also 1M comments and the clustering reference")
    args = parser.parse_args()
    runs = [
        # First the one table of issue 17: the whole run at 10k and 100k (1M with --full) against the tokenizer.
        ("bench_pipeline.py", ["--full"] if args.full else []),
        ("bench_nlp.py", []),
        ("bench_redact.py", []),
        ("bench_documents.py", []),
        ("bench_classify.py", []),
        ("bench_cluster.py", ["--sizes", "100000", "1000000", "--reference-max", "100000"] if args.full
         else ["--sizes", "100000", "--reference-max", "0"]),
        ("bench_nightly.py", ["--known", "10000", "--new", "500"]),
        ("bench_nightly.py", ["--known", "10000", "--new", "500", "--encoder", "off"]),
        *([("bench_dask.py", [])] if args.full else []),
        ("bench_ingest.py", []),
        ("bench_encoder.py", ["--n", "10000"]),
    ]
    failed = []
    for script, extra in runs:
        print(f"\n=== {script} {' '.join(extra)}", flush=True)
        if subprocess.run([sys.executable, str(BENCH / script), *extra]).returncode != 0:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
