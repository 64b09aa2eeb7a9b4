"""AI providers behind circuit breakers and retries, chained with a local fallback.

Needs the ``http`` extra (``pip install steinresil[http]``) for the HTTP providers::

    from steinresil.adapters.ai import OllamaProvider, OpenAIProvider, LocalProvider, ProviderChain

    chain = ProviderChain([
        OpenAIProvider(api_key=os.environ.get("OPENAI_API_KEY"), model="gpt-4o-mini"),
        OllamaProvider(base_url="http://localhost:11434", model="llama3.2"),
        LocalProvider(),                   # "fallback": always answers
    ])
    answer = await chain.complete("Summarise: ...", max_tokens=256)
    report = await chain.check_all()       # {"overall": ..., "providers": [...]}
    await chain.aclose()

Every provider has its own ``CircuitBreaker`` and ``RetryPolicy``. 429, 5xx, timeouts,
dropped connections and malformed answers are retried (``Retry-After`` honoured) and
counted by the breaker; 401/403 and other 4xx are neither. A provider without its API
key is "unavailable" and never opens a socket. Call providers only through the chain.

The errors::

    steinresil.ResilienceError
    └── AIProviderError             .provider, .status, .kind, .retryable, .retry_after
"""

from __future__ import annotations

try:
    import httpx  # noqa: F401 - fail here, with the fix, rather than deep inside
except ImportError as exc:  # pragma: no cover - the test environment has httpx
    raise ImportError(
        "steinresil.adapters.ai needs httpx: install the extra with `pip install steinresil[http]`"
    ) from exc

from steinresil._public import adopt as _adopt
from steinresil.adapters._ai_base import (
    AIProviderError,
    Completion,
    ErrorKind,
    Provider,
    ProviderHealth,
    ProviderStatus,
    is_caller_error,
    is_retryable,
)
from steinresil.adapters._ai_chain import ProviderChain, UnknownProviderError, overall_status
from steinresil.adapters._ai_http import AnthropicProvider, OllamaProvider, OpenAIProvider
from steinresil.adapters._ai_local import LocalProvider

__all__ = [
    "AIProviderError",
    "AnthropicProvider",
    "Completion",
    "ErrorKind",
    "LocalProvider",
    "OllamaProvider",
    "OpenAIProvider",
    "Provider",
    "ProviderChain",
    "ProviderHealth",
    "ProviderStatus",
    "UnknownProviderError",
    "is_caller_error",
    "is_retryable",
    "overall_status",
]

for _name in __all__:
    _adopt(globals()[_name], __name__)
