"""Carrier rate estimates: DIM weight, zones from ZIP3 distance, and rate tables kept as data files."""
