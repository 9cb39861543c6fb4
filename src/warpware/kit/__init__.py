"""Small shared pieces: clock, ids, JSON, pagination."""
