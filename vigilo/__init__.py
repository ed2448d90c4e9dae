"""Vigilo's composition root: settings, app assembly and the command line."""
