"""Request and response bodies of ``/api/ai-annotator``."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from erp_app.quickchat.schemas import UTCDateTime

__all__ = ["NODE_ID_MAX_LENGTH", "AnnotationCreate", "AnnotationOut"]

NODE_ID_MAX_LENGTH = 200
FOCUS_MAX_LENGTH = 500

NodeIdText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NODE_ID_MAX_LENGTH)
]
Focus = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=FOCUS_MAX_LENGTH)
]


class AnnotationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    node_id: NodeIdText = Field(description="a functions-catalogue node, e.g. `hr.employees`")
    focus: Focus | None = Field(
        default=None, description="what the note should dwell on, e.g. 'risks for auditors'"
    )


class AnnotationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    node_id: str
    node_title: str
    focus: str | None
    text: str
    provider: str = Field(description="the AI provider that wrote it ('seed' for seed data)")
    model: str
    latency_ms: float
    created_by: str | None
    created_at: UTCDateTime
