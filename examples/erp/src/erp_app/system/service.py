"""The system summary, from the app's own objects (no I/O)."""

from __future__ import annotations

import os
import platform
from typing import TYPE_CHECKING

from erp_app import __version__
from erp_app.system.schemas import PlatformInfo, SystemInfo

if TYPE_CHECKING:
    from erp_app.config import Settings
    from erp_app.platform.health import Health
    from erp_app.platform.sessions import Sessions

__all__ = ["system_info"]


def system_info(settings: Settings, health: Health, sessions: Sessions) -> SystemInfo:
    return SystemInfo(
        version=__version__,
        environment=settings.environment,
        started_at=health.started_at.isoformat(),
        uptime=round(health.uptime, 3),
        pid=os.getpid(),
        platform=PlatformInfo(
            python=platform.python_version(),
            implementation=platform.python_implementation(),
            system=platform.system(),
            release=platform.release(),
            machine=platform.machine(),
        ),
        database=settings.database_kind,
        session_store=sessions.active,
        configuration=settings.summary(),
    )
