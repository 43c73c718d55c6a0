"""Project commands (COMMANDS_MODULE): `crawl` with argument checks before any work."""
