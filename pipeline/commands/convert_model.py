"""uwagi convert-model: rewrite an old model folder (model.joblib, a pickle) as model.skops, once, after the user
says they trust it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.errors import UserError
from pipeline.models import LEGACY_MODEL_FILE, MODEL_FILE, TRUSTED_TYPES, convert_legacy_model

NAME = "convert-model"
SYNOPSIS = "uwagi convert-model MODEL_DIR [--yes]"
HELP = (f"Przekształć model zapisany starszą wersją programu ({LEGACY_MODEL_FILE}) do bezpiecznego formatu "
        f"{MODEL_FILE}. Tylko dla modelu z zaufanego źródła.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", type=Path, metavar="MODEL_DIR", help="katalog modelu z plikami model.joblib i model.json")
    p.add_argument("--yes", action="store_true",
                   help="nie pytaj o potwierdzenie (dla skryptów): ufam temu modelowi")


def trust_notice(model_dir: Path) -> str:
    return (f"{model_dir / LEGACY_MODEL_FILE} to plik pickle: wczytanie go może uruchomić dowolny zapisany w nim kod. "
            "Przekształć go tylko, jeśli model wytrenowano u Ciebie albo pochodzi z zaufanego źródła. Po przekształceniu "
            f"{MODEL_FILE} może zawierać wyłącznie typy scikit-learn, numpy i scipy oraz: {', '.join(TRUSTED_TYPES)}.")


def handle(args: argparse.Namespace) -> int:
    print(f"uwagi: {trust_notice(args.model)}", file=sys.stderr)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError("brak potwierdzenia: uruchom polecenie w terminalu albo dodaj --yes", path=args.model)
        answer = input("Ufam temu modelowi i chcę go przekształcić [t/N]: ")
        if answer.strip().lower() not in ("t", "tak", "y", "yes"):
            print("uwagi: nic nie zmieniono", file=sys.stderr)
            return 0
    card = convert_legacy_model(args.model)
    print(f"uwagi: model zapisano jako {card.parent / MODEL_FILE}; {LEGACY_MODEL_FILE} usunięto", file=sys.stderr)
    return 0
