"""Every name in `steinresil.__all__` has its entry in docs/api.md, and nothing else does.

Run by ./scripts/test's docs part, so a rename or a new export cannot leave the API
reference behind.
"""

from __future__ import annotations

import re
from pathlib import Path

import steinresil

api = Path(__file__).resolve().parent.parent / "docs" / "api.md"
documented = set(re.findall(r"^::: steinresil\.(\w+)$", api.read_text(), re.MULTILINE))
documented.discard("testing")
exported = set(steinresil.__all__)
problems = [
    f"docs/api.md: no entry for steinresil.{name}" for name in sorted(exported - documented)
]
problems += [
    f"docs/api.md: steinresil.{name} is not exported" for name in sorted(documented - exported)
]
if problems:
    raise SystemExit("\n".join(problems))
print(f"ok  docs/api.md documents all {len(exported)} names in steinresil.__all__")
