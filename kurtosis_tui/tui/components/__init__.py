"""The TUI's widgets, one per module; each reads the ``RunModel`` and never Docker."""
