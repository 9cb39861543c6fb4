"""Automation rules as an account's stored configuration: CRUD, YAML import and dry runs.

The evaluation itself is the pure engine in warpware.rules; this package stores and serves rules.
"""
