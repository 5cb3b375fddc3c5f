"""soku-tui: a terminal monitor for Soku publishing failures."""

__version__ = "0.1.0"
