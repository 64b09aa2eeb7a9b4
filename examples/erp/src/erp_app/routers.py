"""Every router of the app, in the order they are mounted (one line each)."""

from __future__ import annotations

from fastapi import APIRouter

from erp_app.ai.router import router as ai_router
from erp_app.annotator.router import router as annotator_router
from erp_app.auth.router import router as auth_router
from erp_app.calendar.router import router as calendar_router
from erp_app.dashboard.router import router as dashboard_router
from erp_app.diagnostics.router import router as diagnostics_router
from erp_app.finance.router import router as finance_router
from erp_app.functions.router import router as functions_router
from erp_app.health.router import router as health_router
from erp_app.hr.router import router as hr_router
from erp_app.innovation.router import router as innovation_router
from erp_app.metrics.router import router as metrics_router
from erp_app.quickchat.router import router as quickchat_router
from erp_app.search.router import router as search_router
from erp_app.session.router import router as session_router
from erp_app.system.router import router as system_router
from erp_app.ui.router import router as ui_router

ROUTERS: list[APIRouter] = [
    health_router,
    ai_router,
    functions_router,
    metrics_router,
    session_router,
    quickchat_router,
    annotator_router,
    ui_router,
    auth_router,
    system_router,
    diagnostics_router,
    dashboard_router,
    hr_router,
    finance_router,
    calendar_router,
    innovation_router,
    search_router,
]
