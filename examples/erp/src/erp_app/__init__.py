"""ERP SteinmetZ: the reference service that proves steinresil under real failures."""

from __future__ import annotations

import importlib.metadata

__version__ = importlib.metadata.version("erp-steinmetz")
