"""First-start conversations, so a new installation's quickchat is not an empty page.

Seeded answers were written by hand, not by a provider: they say ``provider="seed"``.
Idempotent: nothing happens once any conversation exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from erp_app.quickchat.models import Conversation, Message

if TYPE_CHECKING:
    from erp_app.config import Settings
    from erp_app.platform.db import Database

__all__ = ["seed_quickchat"]

SEED = "seed"
CONVERSATIONS: tuple[tuple[str, str, str], ...] = (
    (
        "How do I record a block delivery?",
        "How do I record a delivery of granite blocks from the quarry?",
        (
            "Open Purchasing, find the purchase order and record the goods receipt with each "
            "block's number, dimensions and weight. The blocks then show up in the warehouse "
            "with their storage place."
        ),
    ),
    (
        "Which invoices are overdue?",
        "Which customer invoices are overdue this month?",
        (
            "Finance lists invoices with status 'sent' past their due date; the dashboard "
            "shows their number and total. Send a reminder from the invoice, or mark it paid "
            "once the money is in."
        ),
    ),
)


async def seed_quickchat(db: Database, _settings: Settings) -> None:
    async with db.session() as session:
        if await session.scalar(select(func.count(Conversation.id))):
            return
        for title, question, answer in CONVERSATIONS:
            conversation = Conversation(title=title, created_by="admin")
            session.add(conversation)
            await session.flush()
            session.add_all(
                [
                    Message(
                        conversation_id=conversation.id,
                        role="user",
                        content=question,
                        author="admin",
                    ),
                    Message(
                        conversation_id=conversation.id,
                        role="assistant",
                        content=answer,
                        provider=SEED,
                        model=SEED,
                        latency_ms=0.0,
                    ),
                ]
            )
