"""One module per area of the app, each with an `EN` and an `NB` dict of the same keys.

Modules here are found by name (no list to keep in step); keys must be unique across them.
"""
