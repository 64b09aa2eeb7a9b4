"""Every domain's tables, imported so that ``Base.metadata`` knows them all."""

from __future__ import annotations

from erp_app.annotator import models as annotator_models
from erp_app.auth import models as auth_models
from erp_app.calendar import models as calendar_models
from erp_app.finance import models as finance_models
from erp_app.hr import models as hr_models
from erp_app.innovation import models as innovation_models
from erp_app.platform.db import Base
from erp_app.quickchat import models as quickchat_models

__all__ = [
    "Base",
    "annotator_models",
    "auth_models",
    "calendar_models",
    "finance_models",
    "hr_models",
    "innovation_models",
    "quickchat_models",
]
