"""Walter: answer a question about the caller's own orders with the query tools."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from warpware.accounts.domain import Principal
from warpware.accounts.models import Account
from warpware.config import Settings
from warpware.db import Database
from warpware.errors import ServiceUnavailable, Unprocessable
from warpware.kit.clock import utcnow
from warpware.walter import answers, llm, questions
from warpware.walter.tools import TOOLS

log = logging.getLogger("warpware.walter")


@dataclass(frozen=True)
class WalterAnswer:
    response: str
    tool_calls: list[dict[str, Any]]
    engine: str  # "builtin" or "llm"


def ensure_enabled(session: Session, principal: Principal) -> None:
    account = session.get(Account, principal.account_id)
    if account is None or not account.walter_enabled:
        raise ServiceUnavailable(
            "Walter AI is not enabled for this account. Contact WarpWare support to "
            "enable it before building against this endpoint."
        )


def time_zone(context: dict[str, Any]) -> ZoneInfo:
    name = context.get("timezone", "UTC")
    try:
        if not isinstance(name, str) or not name:
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Unprocessable(
            f"context.timezone: unknown time zone {name!r} (use an IANA name such as America/Chicago)",
            extra={"errors": [{"field": "context.timezone", "message": "unknown time zone"}]},
        ) from None


def builtin(
    session: Session, principal: Principal, question: str, *, now: dt.datetime, zone: ZoneInfo
) -> WalterAnswer:
    plan = questions.plan(question, now=now, zone=zone)
    if plan is None:
        return WalterAnswer(answers.HELP, [], "builtin")
    result = TOOLS[plan.tool].call(session, principal, plan.arguments)
    call = {"tool": plan.tool, "arguments": plan.arguments, "result": result}
    return WalterAnswer(answers.answer(plan, result), [call], "builtin")


def ask(
    database: Database, principal: Principal, question: str, context: dict[str, Any], *, settings: Settings
) -> WalterAnswer:
    """With a model configured it chooses the tools; if it fails, the built-in parser answers instead."""
    zone = time_zone(context)
    now = utcnow()
    with database.reading() as session:
        ensure_enabled(session, principal)
    if settings.walter_llm_url:
        config = llm.LLMConfig(
            settings.walter_llm_url,
            settings.walter_llm_model,
            settings.walter_llm_api_key,
            settings.walter_llm_timeout_seconds,
        )

        def run_tool(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
            # A session per call: none is held open while the model thinks.
            with database.reading() as session:
                return TOOLS[name].call(session, principal, arguments)

        try:
            response, calls = llm.ask(
                config,
                question,
                context,
                client_id=principal.client_id,
                now=now,
                zone=zone.key,
                run_tool=run_tool,
            )
            return WalterAnswer(response, calls, "llm")
        except llm.LLMError as exc:
            log.warning("Walter's model failed (%s); answering with the built-in parser", exc)
    with database.reading() as session:
        return builtin(session, principal, question, now=now, zone=zone)
