"""Every domain's tables, imported so that ``Base.metadata`` knows them all."""

from __future__ import annotations

from erp_app.auth import models as auth_models
from erp_app.platform.db import Base

__all__ = ["Base", "auth_models"]
