"""Health: failed and held counts, stuck orders, the oldest ready order, per-connection success and
error rates, recent errors by message, failing webhook endpoints, and a 48-hour chart of orders per
status drawn as inline SVG on the server (with the same numbers as a table)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warpware.dashboard.security import current_user, database
from warpware.dashboard.templating import render
from warpware.pipeline import health as pipeline_health
from warpware.pipeline.health import CHART_STATUSES, ChartHour
from warpware.users.service import SignedIn

router = APIRouter()

# One fill per status (contrast checked against the white card); the legend and table name them too.
STATUS_FILLS = {
    "pending": "#8a6d00",
    "ready": "#1f6fb2",
    "processing": "#5b3fa8",
    "shipped": "#1a7f37",
    "delivered": "#0b4f26",
    "hold": "#c2410c",
    "failed": "#b42318",
    "cancelled": "#6b7280",
}
BAR_WIDTH, BAR_GAP = 14, 2
LEFT, TOP, PLOT_HEIGHT, BOTTOM = 40, 10, 160, 30


@dataclass(frozen=True)
class Segment:
    x: int
    y: float
    height: float
    fill: str
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    peak: int
    segments: list[Segment]
    ticks: list[tuple[int, str]]  # (x, "HH:00") under the bars
    baseline: int


def _chart(hours: list[ChartHour]) -> Chart:
    peak = max((h.total for h in hours), default=0)
    scale = PLOT_HEIGHT / peak if peak else 0.0
    segments: list[Segment] = []
    ticks: list[tuple[int, str]] = []
    baseline = TOP + PLOT_HEIGHT
    for i, hour in enumerate(hours):
        x = LEFT + i * (BAR_WIDTH + BAR_GAP)
        y = float(baseline)
        for status in CHART_STATUSES:
            n = hour.counts[status]
            if not n:
                continue
            height = n * scale
            y -= height
            label = f"{hour.hour:%Y-%m-%d %H}:00 UTC, {status}: {n}"
            segments.append(Segment(x, round(y, 2), round(height, 2), STATUS_FILLS[status], label))
        if hour.hour.hour % 6 == 0:
            ticks.append((x, f"{hour.hour:%H}:00"))
    width = LEFT + len(hours) * (BAR_WIDTH + BAR_GAP) + 10
    return Chart(width, TOP + PLOT_HEIGHT + BOTTOM, peak, segments, ticks, baseline)


@router.get("/health")
def health_page(request: Request, user: SignedIn = Depends(current_user)) -> Response:
    minutes = request.app.state.settings.stuck_after_minutes
    with database(request).reading() as session:
        health = pipeline_health.dashboard_health(session, user.principal, stuck_after_minutes=minutes)
    return render(
        request,
        "health/index.html",
        {
            "health": health,
            "summary": health.summary,
            "chart": _chart(health.chart),
            "statuses": CHART_STATUSES,
            "fills": STATUS_FILLS,
        },
    )
