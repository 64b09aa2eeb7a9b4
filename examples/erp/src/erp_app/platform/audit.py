"""Every write is recorded: who, what, when (the ``audit_log`` table)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from erp_app.auth.models import AuditEntry

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from erp_app.platform.security import Principal

__all__ = ["record"]


def record(
    session: AsyncSession,
    principal: Principal | None,
    action: str,
    entity: str,
    *,
    entity_id: object = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry to ``session``'s unit of work (committed with the change itself).

    ``details`` must never hold a password, a token or a session id.
    """
    session.add(
        AuditEntry(
            username=principal.username if principal is not None else None,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            details=details,
        )
    )
