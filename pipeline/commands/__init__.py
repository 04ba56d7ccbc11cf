"""One module per subcommand; each has NAME, SYNOPSIS, HELP, add_arguments(parser), handle(args) -> int."""

from pipeline.commands import run

COMMANDS = [run]
