"""uwagi crossval: grouped cross-validation of the classifier on labelled comments, without saving a model."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from pipeline.commands.evaluate import print_report
from pipeline.commands.data import add_data_arguments, add_train_only_argument, read_training_data
from pipeline.commands.train import add_encoder_argument, add_training_lemmatizer, training_classifier
from pipeline.comment_type import cross_validated_accuracy
from pipeline.folds import grouped_folds
from pipeline.reports import classification_report
from pipeline.taxonomy import load_taxonomy
from pipeline.training import cross_validate

NAME = "crossval"
SYNOPSIS = ("uwagi crossval DATA... --taxonomy T [--text-col COL]... [--label-col COL] [--labels-col COL] "
            "[--train-only FILE...] [--lemmatizer NAME] [--encoder {on,off}] [--json]")
HELP = ("Zagnieżdżona walidacja krzyżowa (5 części, kampanie i powtórzone teksty zawsze w jednej części; parametry "
        "wybierane tylko w części uczącej): ten sam raport co evaluate, z przewidywań poza próbą uczącą.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    add_train_only_argument(p, "pliki z uwagami tylko do uczenia (np. napisane dla modelu): dołączane do każdej "
                               "części uczącej, nigdy oceniane; części walidacji są te same co bez nich")
    p.add_argument("--taxonomy", required=True, type=Path, metavar="T", help="taksonomia celów (plik TOML)")
    add_training_lemmatizer(p)
    add_encoder_argument(p)
    p.add_argument("--json", action="store_true", help="wypisz raport jako JSON")


def handle(args: argparse.Namespace) -> int:
    taxonomy = load_taxonomy(args.taxonomy)
    data, extra = read_training_data(args, taxonomy)
    classifier = training_classifier(taxonomy, args)
    analysed = classifier.analyse(data.texts, embed_all=True)
    oof = cross_validate(classifier, analysed, data.labels, groups=data.groups, secondary=data.all_labels,
                         nested=True, train_only=extra)
    labels = np.asarray(data.labels, dtype=object)
    report = classification_report(labels[~extra], oof["label"], taxonomy.ids, oof["needs_review"])
    if data.comment_types is not None:  # of the scored rows, learnt from them alone
        folds = grouped_folds(labels[~extra], data.groups[~extra])
        report["comment_type_accuracy"] = cross_validated_accuracy(
            analysed[~extra], [t for t, e in zip(data.comment_types, extra) if not e], folds)
    print_report(report, taxonomy, args.json)
    return 0
