"""Validation errors for rule definitions: every problem, each naming the field path that caused it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str
    # Set when the error comes from a file of many rules, so a person can find the rule by name too.
    rule_name: str | None = None

    def __str__(self) -> str:
        where = f"{self.path} (rule '{self.rule_name}')" if self.rule_name else self.path
        return f"{where}: {self.message}" if where else self.message


class RuleValidationError(ValueError):
    """A rule definition (or a file of them) was rejected; nothing from it was accepted."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(str(error) for error in self.errors))


class ErrorCollector:
    """Gathers every problem in one pass, so a person fixes a definition once rather than error by error."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise RuleValidationError(self.errors)


def join_path(base: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key


def describe_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
