"""Async bulk exports: a row per export, filled by the `export.run` job on the workers."""
