"""Pure rules of Vigilo: no I/O, no framework imports (checked by import-linter)."""
