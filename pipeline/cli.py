"""Thin command line: parse flags into a Config, call one command, map errors to exit codes.

Exit codes for every subcommand: 0 ok, 1 internal error, 2 input or usage error, 3 another run holds the lock.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from pipeline import __version__
from pipeline.commands import COMMANDS
from pipeline.errors import UserError
from pipeline.lock import LockHeld

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_LOCKED = 0, 1, 2, 3


# argparse's messages, which it writes in English, as staff read them.
_MESSAGES = [
    (r"the following arguments are required: (.*)", r"brak wymaganych argumentów: \1"),
    (r"unrecognized arguments: (.*)", r"nieznane argumenty: \1"),
    (r"argument (\S+): invalid choice: (.*) \(choose from (.*)\)", r"\1: niedozwolona wartość \2 (dozwolone: \3)"),
    (r"argument (\S+): expected one argument", r"\1: brak wartości"),
    (r"argument (\S+): expected at least one argument", r"\1: brak wartości"),
    (r"argument (\S+): invalid (\w+) value: (.*)", r"\1: niepoprawna wartość \3"),
    (r"argument (\S+): ignored explicit argument (.*)", r"\1: zbędna wartość \2"),
    (r"ambiguous option: (\S+) could match (.*)", r"niejednoznaczna opcja \1 (pasuje do: \2)"),
    (r"argument (\S+): (.*)", r"\1: \2"),
]


# argparse's own words (headings, --help) come through gettext, for which Python ships no Polish catalogue.
_WORDS = {"usage: ": "użycie: ", "options": "opcje", "positional arguments": "argumenty",
          "show this help message and exit": "pokaż tę pomoc i zakończ", "show program's version number and exit":
          "pokaż wersję programu i zakończ"}
argparse._ = lambda text: _WORDS.get(text, text)  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own default is exit 2 with usage; keep one line
        for pattern, polish in _MESSAGES:
            message = re.sub(f"^{pattern}$", polish, message)
        self.exit(EXIT_INPUT, f"uwagi: błąd: {message} (zob. uwagi --help)\n")


def build_parser() -> argparse.ArgumentParser:
    synopses = "\n".join(f"  {cmd.SYNOPSIS}" for cmd in COMMANDS)
    parser = _Parser(
        prog="uwagi",
        description="Porządkuje uwagi z konsultacji społecznych w arkusz do pracy dla zespołu.",
        epilog=f"Polecenia:\n{synopses}\n\n"
               "Kody wyjścia: 0 sukces, 1 błąd wewnętrzny, 2 błąd danych lub wywołania, "
               "3 ten sam katalog wyników lub plik stanu zajmuje inny przebieg.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # Python 3.11's argparse does not pass this help through gettext, so `_WORDS` cannot translate it.
    parser.add_argument("--version", action="version", version=f"uwagi {__version__}",
                        help=_WORDS["show program's version number and exit"])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for cmd in COMMANDS:
        p = sub.add_parser(
            cmd.NAME, help=cmd.HELP, description=cmd.HELP, usage=cmd.SYNOPSIS,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        cmd.add_arguments(p)
        p.set_defaults(handler=cmd.handle)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_INPUT
    try:
        return args.handler(args) or EXIT_OK
    except UserError as exc:
        print(f"uwagi: błąd: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except LockHeld as exc:
        print(f"uwagi: zajęte: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except KeyboardInterrupt:
        print("uwagi: przerwano", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - the one place that turns crashes into exit code 1
        print(f"uwagi: błąd wewnętrzny: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
