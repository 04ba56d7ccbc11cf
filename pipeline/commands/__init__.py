"""One module per subcommand; each has NAME, SYNOPSIS, HELP, add_arguments(parser), handle(args) -> int."""

from pipeline.commands import convert_model, crossval, evaluate, learn, run, train

COMMANDS = [run, train, evaluate, crossval, learn, convert_model]
