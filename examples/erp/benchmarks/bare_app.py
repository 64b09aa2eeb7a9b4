"""The baseline for ``load.py``: the same paths and bodies, with nothing behind them.

Serves what the real app answered (captured into ``ERP_BARE_BODIES``, a JSON file of
``{path: body}``) from memory: FastAPI and uvicorn as in the real app, but no health
aggregator, no catalogue, no session store, no middleware. The real app's time divided
by this one's is what steinresil's guards and the app's own work cost.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response

bodies: dict[str, str] = json.loads(Path(os.environ["ERP_BARE_BODIES"]).read_text())
app = FastAPI()


def _serve(path: str) -> None:
    body = bodies[path].encode()

    async def endpoint() -> Response:
        return Response(body, media_type="application/json")

    app.add_api_route(path, endpoint, methods=["GET"])


for _path in bodies:
    _serve(_path)
