# Two commands on a fresh machine (only python3 and make needed): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test model bench bench-dask install clean ocr-packages browser-packages office-packages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Scans are read by Tesseract with its Polish data (Debian packages). As root, install them when missing; otherwise
# uwagi skips the scans with a line naming the packages and processes the rest.
OCR_PACKAGES := tesseract-ocr tesseract-ocr-pol fonts-dejavu-core
ocr-packages:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	   ! { command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx pol && \
	       [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; }; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(OCR_PACKAGES) >/dev/null; \
	fi

# raport.html is tested in a real browser: headless Chromium (Debian package), installed as root when missing;
# otherwise that one test is skipped.
browser-packages:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! command -v chromium >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# Staff open the workbook in LibreOffice as often as in Excel: the round-trip tests save it with LibreOffice Calc
# (headless), installed as root when missing; otherwise those tests are skipped.
office-packages:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! command -v soffice >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui >/dev/null; \
	fi

# Reinstall whenever the lock file or the project metadata changes.
$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ocr-packages

demo: $(STAMP) ocr-packages
	$(BIN)/uwagi run data/samples/konsultacje_2023_demo.csv --id-col "Nr zgłoszenia" --submitter-col "Typ zgłaszającego" --out out/demo

# Two processes (pytest-xdist), one per core: most tests use one core. A module's tests stay in one process
# (`loadscope`), so its module fixtures (the Dask cluster, trained models) are built once.
test: $(STAMP) ocr-packages browser-packages office-packages
	$(BIN)/python -m pytest -q -n 2 --dist loadscope

# Retrain the default model on all the labelled data, the demo slice and the paraphrase file included
# (data/gdansk_ngo_2023/README.md), with parameters chosen inside it; its card gives the nested cross-validation
# figure on the 520 real-style comments, the synthetic paraphrases learnt in every training part but never scored.
model: $(STAMP)
	$(BIN)/uwagi train data/gdansk_ngo_2023/train.jsonl data/gdansk_ngo_2023/demo_gold.jsonl \
	  --train-only data/gdansk_ngo_2023/paraphrase.jsonl --tune \
	  --taxonomy data/taxonomies/gdansk_ngo_2023.toml --out models/gdansk_ngo_2023

# Every benchmark, one table each, the whole run at 10k and 100k against the tokenization floor first
# (FULL=1 adds 1M comments, the 1M clustering run and the Dask engine).
bench: $(STAMP) ocr-packages
	$(BIN)/python bench/run_all.py $(if $(FULL),--full)

# The Dask engine on 1 and 2 local workers against the local engine (docs/dask.md); also part of bench --full.
bench-dask: $(STAMP)
	$(BIN)/python bench/bench_dask.py

clean:
	rm -rf out build dist *.egg-info .pytest_cache
