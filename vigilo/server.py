"""`vigilo serve`: the one ASGI app under uvicorn."""

import uvicorn

from vigilo.app import build
from vigilo.settings import Settings


def serve(settings: Settings, *, host: str = "0.0.0.0", port: int = 8000) -> None:
    vigilo = build(settings)
    assert vigilo.asgi is not None
    uvicorn.run(vigilo.asgi, host=host, port=port, log_level="info", proxy_headers=True)
