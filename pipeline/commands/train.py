"""uwagi train: fit a classifier on labelled comments and save it with its model card."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.classifier import DEFAULT_LEMMATIZER, CommentClassifier
from pipeline.commands.data import add_data_arguments, add_train_only_argument, read_training_data
from pipeline.commands.options import add_lemmatizer_argument, out_dir_arg
from pipeline.export.atomic import check_out_dir
from pipeline.models import save_model
from pipeline.encoder import DEFAULT_ENCODER, EncoderUnavailable, get_encoder
from pipeline.errors import UserError, plural
from pipeline.labelled import card_entry
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.training import train

NAME = "train"
SYNOPSIS = ("uwagi train DATA... --taxonomy T --out MODEL_DIR [--text-col COL]... [--label-col COL] [--labels-col COL] "
            "[--lemmatizer NAME] [--encoder {on,off}] [--tune [--train-only FILE...]]")
HELP = "Wytrenuj klasyfikator celów programu na oznaczonych uwagach (CSV, XLSX, JSON Lines) i zapisz model."


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    p.add_argument("--taxonomy", required=True, type=Path, metavar="T", help="taksonomia celów (plik TOML)")
    p.add_argument("--out", required=True, type=out_dir_arg, metavar="MODEL_DIR",
                   help="katalog na model.skops i model.json")
    add_training_lemmatizer(p)
    add_encoder_argument(p)
    p.add_argument("--tune", action="store_true",
                   help="wybierz parametry walidacją krzyżową na danych uczących; karta modelu poda wynik "
                        "zagnieżdżonej walidacji (dłużej)")
    add_train_only_argument(p, "pliki z uwagami, których model uczy się jak DATA, ale których wynik zagnieżdżonej "
                               "walidacji (--tune) nie ocenia (np. napisane dla modelu)")


def add_encoder_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--encoder", choices=("on", "off"), default="on",
                   help=f"on: obok modelu leksykalnego model semantyczny ({DEFAULT_ENCODER}) dla najmniej pewnych "
                        "uwag; off: tylko leksykalny (domyślnie: on)")


def training_classifier(taxonomy: Taxonomy, args: argparse.Namespace) -> CommentClassifier:
    """The unfitted classifier the options ask for; `--encoder on` without the encoder is a one-line error."""
    encoder = DEFAULT_ENCODER if args.encoder == "on" else None
    if encoder is not None:
        try:
            get_encoder(encoder)
        except EncoderUnavailable as exc:
            raise UserError(f"model semantyczny niedostępny ({exc}); zainstaluj pakiet {DEFAULT_ENCODER} albo "
                            "użyj --encoder off") from None
    return CommentClassifier(taxonomy, lemmatizer=args.lemmatizer, encoder=encoder)


def add_training_lemmatizer(p: argparse.ArgumentParser) -> None:
    add_lemmatizer_argument(p, DEFAULT_LEMMATIZER,
                            "lematyzator warstwy języka polskiego; model zapamiętuje go i używa przy klasyfikacji")


def handle(args: argparse.Namespace) -> int:
    check_out_dir(args.out)
    taxonomy = load_taxonomy(args.taxonomy)
    data, extra = read_training_data(args, taxonomy)
    trained = train(training_classifier(taxonomy, args), data.texts, data.labels,
                    groups=data.groups, comment_types=data.comment_types, data_sha256=data.sha256,
                    secondary=data.all_labels, tune=args.tune, train_only=extra)
    trained.card["training_data"].update(card_entry(data))
    if args.train_only and "nested_cross_validation" in trained.card:
        trained.card["nested_cross_validation"]["training_only_files"] = [path.name for path in args.train_only]
    save_model(trained.model, trained.card, args.out)
    cv = trained.card.get("nested_cross_validation", trained.card["cross_validation"])
    print(f"uwagi: model zapisano w {args.out} ({plural(len(data.texts), 'uwaga', 'uwagi', 'uwag')}; "
          f"walidacja krzyżowa: macro-F1 "
          f"{cv.get('macro_f1', 0):.3f}, trafność {cv.get('accuracy', 0):.3f})", file=sys.stderr)
    return 0
