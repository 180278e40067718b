"""Handlers for the command line's subcommands, one module per group."""
