"""/vigilo subcommands: parsing of the command text, one module per command group."""
