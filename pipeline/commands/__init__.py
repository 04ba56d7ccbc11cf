"""One module per subcommand; each has NAME, SYNOPSIS, HELP, add_arguments(parser), handle(args) -> int."""

from pipeline.commands import convert_model, crossval, evaluate, learn, pool, report, run, train

COMMANDS = [run, train, evaluate, crossval, learn, pool, report, convert_model]
