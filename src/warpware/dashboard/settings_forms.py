"""HTML form fields from a connector's pydantic settings and credentials models, and back.

Each connection type declares its settings as a pydantic model (`connectors.registry`); the dashboard
draws one input per field from it, so a new connector gets its form without a template. Credentials
are write-only: their inputs are always empty, and a blank one keeps what is stored.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pydantic import BaseModel, SecretStr
from starlette.datastructures import FormData

Widget = Literal["text", "number", "checkbox", "select", "lines", "json", "secret"]


@dataclass(frozen=True)
class FormField:
    name: str  # the model's field name; the form input is "<prefix>.<name>"
    label: str
    widget: Widget
    required: bool
    help: str = ""
    choices: tuple[str, ...] = ()
    default: str = ""
    step: str = "1"


@dataclass
class FilledField:
    """A field with the value to show (never a credential's) and its error, if any."""

    spec: FormField
    input_name: str
    value: str = ""
    checked: bool = False
    error: str = ""


@dataclass
class ParsedForm:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _widget(annotation: Any) -> tuple[Widget, tuple[str, ...], str]:
    inner, _ = _unwrap_optional(annotation)
    if inner is SecretStr:
        return "secret", (), ""
    if inner is bool:
        return "checkbox", (), ""
    if inner is int:
        return "number", (), "1"
    if inner is float:
        return "number", (), "any"
    if typing.get_origin(inner) is Literal:
        return "select", tuple(str(a) for a in typing.get_args(inner)), ""
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return "select", tuple(str(m.value) for m in inner), ""
    if typing.get_origin(inner) is list and typing.get_args(inner) in ((str,),):
        return "lines", (), ""
    if inner is str:
        return "text", (), ""
    return "json", (), ""


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, BaseModel):
        return json.dumps(value.model_dump(mode="json"), indent=2)
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2)
    return str(value)


def form_fields(model: type[BaseModel]) -> list[FormField]:
    specs = []
    for name, info in model.model_fields.items():
        widget, choices, step = _widget(info.annotation)
        default = "" if info.is_required() else info.get_default(call_default_factory=True)
        specs.append(
            FormField(
                name=name,
                label=name.replace("_", " ").capitalize(),
                widget=widget,
                required=info.is_required(),
                help=info.description or "",
                choices=choices,
                default="" if widget == "secret" else _shown(default),
                step=step,
            )
        )
    return specs


def filled(
    model: type[BaseModel],
    prefix: str,
    values: dict[str, Any] | None,
    errors: dict[str, str] | None = None,
) -> list[FilledField]:
    """The fields to draw. `values` are the stored (or just submitted) settings. For credentials pass
    None: every field is then an empty password input, never a stored value or even a default (a
    default shown in the form would overwrite the stored value when the form is saved untouched)."""
    result = []
    for spec in form_fields(model):
        if values is None and spec.widget != "checkbox":
            hint = f"Default when left blank on a new connection: {spec.default}" if spec.default else ""
            spec = replace(spec, widget="secret", default="", help=spec.help or hint)
        item = FilledField(
            spec=spec,
            input_name=f"{prefix}.{spec.name}",
            error=(errors or {}).get(f"{prefix}.{spec.name}", ""),
        )
        if spec.widget == "secret":
            pass
        elif values is not None and spec.name in values:
            raw = values[spec.name]
            item.value = _shown(raw)
            item.checked = raw is True or raw == "True"
        else:
            item.value = spec.default
            item.checked = spec.default == "True"
        result.append(item)
    return result


def parse(model: type[BaseModel], prefix: str, form: FormData, *, credentials: bool = False) -> ParsedForm:
    """The submitted fields as the model's JSON. A blank input is left out (the model's default, or for
    a credential the stored value); numbers, lists and JSON are converted, with a message per field."""
    parsed = ParsedForm()
    for spec in form_fields(model):
        key = f"{prefix}.{spec.name}"
        raw = form.get(key)
        text = raw.strip() if isinstance(raw, str) else ""
        if spec.widget == "checkbox":
            if not credentials:
                parsed.values[spec.name] = key in form
            continue
        if not text:
            continue
        if spec.widget == "number":
            try:
                parsed.values[spec.name] = int(text) if spec.step == "1" else float(text)
            except ValueError:
                parsed.errors[key] = "Enter a number" if spec.step != "1" else "Enter a whole number"
        elif spec.widget == "lines":
            parsed.values[spec.name] = [line.strip() for line in text.splitlines() if line.strip()]
        elif spec.widget == "json":
            try:
                parsed.values[spec.name] = json.loads(text)
            except ValueError as exc:
                parsed.errors[key] = f"Not valid JSON: {exc}"
        else:
            # Trimmed like every other input: a pasted secret often carries a stray newline.
            parsed.values[spec.name] = text
    return parsed
