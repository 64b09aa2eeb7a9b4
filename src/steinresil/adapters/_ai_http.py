"""OpenAI, Anthropic and Ollama over their public HTTP APIs, with httpx.

One attempt is one HTTP request, bounded twice: httpx's own connect/read/write/pool
timeouts, and a total limit of ``timeout`` seconds around the whole request (a server
that drips a byte at a time never trips a read timeout). Every failure leaves as
``AIProviderError`` with a ``kind`` the retry policy and breaker sort by.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from steinresil._backend import current
from steinresil._retry_after import parse_retry_after
from steinresil._tasks import call_with_timeout
from steinresil.adapters._ai_base import AIProviderError, ErrorKind, Provider, logger

if TYPE_CHECKING:
    import ssl

    from steinresil._breaker import CircuitBreaker
    from steinresil._clock import Clock
    from steinresil._retry import RetryPolicy
    from steinresil._validation import Duration

__all__ = ["AnthropicProvider", "ClientSource", "HTTPProvider", "OllamaProvider", "OpenAIProvider"]

_ERROR_TEXT_LIMIT = 200


class ClientSource:
    """Where HTTP providers get their ``httpx.AsyncClient``: one given, or one made lazily.

    A given client belongs to whoever gave it and is never closed here; a client made
    here is closed by ``aclose`` (and made again if used afterwards).
    """

    __slots__ = ("_given", "_loop", "_made")

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        if client is not None and not isinstance(client, httpx.AsyncClient):
            raise ValueError(f"client must be an httpx.AsyncClient, got {client!r}")
        self._given = client
        self._made: httpx.AsyncClient | None = None
        self._loop: object = None

    def get(self) -> httpx.AsyncClient:
        if self._given is not None:
            return self._given
        loop = current().current_loop()
        if self._made is None or self._made.is_closed or loop is not self._loop:
            if self._made is not None and not self._made.is_closed:
                # A pool's connections belong to the loop that opened them; on another
                # loop they fail with "Event loop is closed". Start afresh there.
                logger.debug("AI providers moved to another event loop: new HTTP client")
            # Redirects are refused: an API that redirects a POST is misconfigured, and
            # following it could send the key to another host.
            self._made = httpx.AsyncClient(follow_redirects=False, verify=_tls_context())
            self._loop = loop
        return self._made

    async def aclose(self) -> None:
        made, self._made = self._made, None
        if made is not None and current().current_loop() is self._loop:
            await made.aclose()
        # Made on another loop: its connections cannot be closed from here; dropping
        # the client lets them go with their loop.


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS settings, loaded once: reading the CA bundle takes ~25 ms."""
    return httpx.create_ssl_context()


def _base_url(owner: str, value: object, *, strip: str = "") -> str:
    """A validated base URL without a trailing slash (nor ``strip``, e.g. ``/v1``)."""
    example = "an http(s) URL like 'https://api.example.com'"
    if not isinstance(value, str):
        raise ValueError(f"{owner}: base_url must be {example}, got {value!r}")
    try:
        parts = urlsplit(value.strip())
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(f"{owner}: base_url must be {example}, got {value!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{owner}: base_url must be {example}, got {value!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"{owner}: base_url must have no query or fragment, got {value!r}")
    url = value.strip().rstrip("/")
    if strip and url.endswith(strip):
        url = url[: -len(strip)]
    return url


def _api_key(owner: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        # Never the value itself: it may be a secret of the wrong type.
        raise ValueError(f"{owner}: api_key must be a string or None, got a {type(value).__name__}")
    return value.strip() or None  # an empty variable in the environment means "no key"


class HTTPProvider(Provider):
    """The HTTP plumbing the three API providers share; subclasses add the wire format."""

    _key_env_hint = ""

    def __init__(
        self,
        *,
        name: str,
        model: str,
        base_url: str,
        api_key: str | None,
        timeout: Duration,
        client: httpx.AsyncClient | None,
        breaker: CircuitBreaker | None,
        retry: RetryPolicy | None,
        clock: Clock | None,
        strip: str = "",
    ) -> None:
        super().__init__(
            name=name, model=model, timeout=timeout, breaker=breaker, retry=retry, clock=clock
        )
        owner = f"{type(self).__name__}({name!r})"
        self.base_url = _base_url(owner, base_url, strip=strip)
        self._api_key = _api_key(owner, api_key)
        self._clients = ClientSource(client)
        self._own_client = client is not None
        seconds = self.timeout
        self._http_timeout = httpx.Timeout(
            connect=seconds, read=seconds, write=seconds, pool=seconds
        )
        self._warned_auth = False

    @property
    def configured(self) -> bool:
        return self._api_key is not None

    def _bind_client(self, source: object) -> None:
        if not self._own_client and isinstance(source, ClientSource):
            self._clients = source

    async def aclose(self) -> None:
        await self._clients.aclose()

    def _headers(self) -> dict[str, str]:
        return {}

    def _error(
        self,
        kind: ErrorKind,
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> AIProviderError:
        return AIProviderError(
            self.name, message, kind=kind, status=status, retry_after=retry_after
        )

    def _scrub(self, text: str) -> str:
        """Provider text for our messages: short, one line, and never the key."""
        if self._api_key:
            text = text.replace(self._api_key, "[api key]")
        text = " ".join(text.split())
        return text if len(text) <= _ERROR_TEXT_LIMIT else text[:_ERROR_TEXT_LIMIT] + "..."

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One request, bounded by ``timeout`` in total: the decoded JSON body."""
        if self._api_key is None and self._key_env_hint:
            raise self._error("auth", "no API key configured")  # the chain never gets here
        # Made before the clock starts: a new client loads the CA bundle (~0.4 s, once),
        # which must not eat the first request's time limit.
        client = self._clients.get()
        timed_out, answer = await call_with_timeout(
            lambda: self._exchange(client, method, path, body), self.timeout
        )
        if timed_out:
            raise self._error("timeout", f"{method} {path}: no answer within {self.timeout:g} s")
        return answer

    async def _exchange(
        self, client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None
    ) -> Any:
        url = self.base_url + path
        try:
            response = await client.request(
                method, url, json=body, headers=self._headers(), timeout=self._http_timeout
            )
        except httpx.TimeoutException as exc:
            raise self._error(
                "timeout", f"{method} {path}: {type(exc).__name__} after {self.timeout:g} s"
            ) from exc
        except httpx.TransportError as exc:
            # Refused, reset, or dropped before the whole body came: the provider's side.
            detail = self._scrub(str(exc)) or type(exc).__name__
            raise self._error("connection", f"{method} {path}: {detail}") from exc
        if response.status_code >= 400:
            raise self._status_error(method, path, response)
        self._warned_auth = False
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise self._error(
                "malformed",
                f"{method} {path}: HTTP {response.status_code} with a body that is not JSON",
                response.status_code,
            ) from exc

    def _status_error(self, method: str, path: str, response: httpx.Response) -> AIProviderError:
        status = response.status_code
        where = f"{method} {path}: HTTP {status}"
        if status in (401, 403):
            # The provider's text may quote part of the key; ours says what to fix.
            message = f"{where}: the API key was refused; check {self._key_env_hint or 'it'}"
            if not self._warned_auth:
                self._warned_auth = True
                logger.warning("AI provider %r: %s", self.name, message)
            return self._error("auth", message, status)
        detail = _error_detail(response)
        text = f"{where}: {self._scrub(detail)}" if detail else where
        wait = None
        if status == 429 or status >= 500:  # a Retry-After anywhere else is not ours to obey
            header = response.headers.get("retry-after")
            wait = parse_retry_after(header) if header is not None else None
        return AIProviderError.for_status(self.name, status, text, retry_after=wait)

    def _malformed(self, path: str, what: str) -> AIProviderError:
        return self._error("malformed", f"POST {path}: the answer has no {what}", 200)


def _error_detail(response: httpx.Response) -> str:
    """The message in an error body: OpenAI/Anthropic ``error.message``, Ollama ``error``."""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return error if isinstance(error, str) else ""


def _dig(data: object, *path: str | int) -> object:
    """``data[path[0]][path[1]]...`` or ``None`` when any step is missing."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(data, list) or len(data) <= step:
                return None
            data = data[step]
        elif isinstance(data, dict):
            data = data.get(step)
        else:
            return None
    return data


class OpenAIProvider(HTTPProvider):
    """OpenAI's chat completions API, or any server that speaks it.

    ``base_url`` may end in ``/v1`` or not: ``https://api.openai.com/v1`` (the SDKs'
    form) and ``https://api.openai.com`` both send ``POST .../v1/chat/completions``.
    The health probe is ``GET .../v1/models``. ``max_tokens_field`` names the limit
    field: ``"max_tokens"`` (default, understood by compatible servers) or
    ``"max_completion_tokens"`` (required by OpenAI's reasoning models).
    """

    _key_env_hint = "the OpenAI API key (OPENAI_API_KEY)"

    def __init__(
        self,
        api_key: str | None = None,
        model: str = "gpt-4o-mini",
        base_url: str = "https://api.openai.com/v1",
        *,
        name: str = "openai",
        timeout: Duration = 10.0,
        max_tokens_field: str = "max_tokens",
        client: httpx.AsyncClient | None = None,
        breaker: CircuitBreaker | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(
            name=name,
            model=model,
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            client=client,
            breaker=breaker,
            retry=retry,
            clock=clock,
            strip="/v1",
        )
        if max_tokens_field not in ("max_tokens", "max_completion_tokens"):
            raise ValueError(
                f"OpenAIProvider({name!r}): max_tokens_field must be 'max_tokens' or "
                f"'max_completion_tokens', got {max_tokens_field!r}"
            )
        self.max_tokens_field = max_tokens_field

    def _headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self._api_key}"}

    async def attempt(self, prompt: str, max_tokens: int) -> str:
        path = "/v1/chat/completions"
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            self.max_tokens_field: max_tokens,
        }
        text = _dig(await self._call("POST", path, body), "choices", 0, "message", "content")
        if not isinstance(text, str):
            raise self._malformed(path, "choices[0].message.content")
        return text

    async def probe(self) -> None:
        await self._call("GET", "/v1/models")


class AnthropicProvider(HTTPProvider):
    """Anthropic's Messages API (``POST /v1/messages``, ``x-api-key``, ``anthropic-version``).

    ``base_url`` may end in ``/v1`` or not. The health probe is ``GET /v1/models``:
    authenticated and free, so a wrong key shows up in health without spending tokens.
    """

    _key_env_hint = "the Anthropic API key (ANTHROPIC_API_KEY)"

    def __init__(
        self,
        api_key: str | None = None,
        model: str = "claude-3-5-haiku-latest",
        base_url: str = "https://api.anthropic.com",
        *,
        name: str = "anthropic",
        timeout: Duration = 10.0,
        anthropic_version: str = "2023-06-01",
        client: httpx.AsyncClient | None = None,
        breaker: CircuitBreaker | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(
            name=name,
            model=model,
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            client=client,
            breaker=breaker,
            retry=retry,
            clock=clock,
            strip="/v1",
        )
        version: object = anthropic_version
        if not isinstance(version, str) or not version:
            raise ValueError(
                f"AnthropicProvider({name!r}): anthropic_version must be a non-empty string "
                f"like '2023-06-01', got {anthropic_version!r}"
            )
        self.anthropic_version = anthropic_version

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self._api_key or "", "anthropic-version": self.anthropic_version}

    async def attempt(self, prompt: str, max_tokens: int) -> str:
        path = "/v1/messages"
        body = {
            "model": self.model,
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": prompt}],
        }
        blocks = _dig(await self._call("POST", path, body), "content")
        texts = [
            block["text"]
            for block in (blocks if isinstance(blocks, list) else ())
            if isinstance(block, dict) and isinstance(block.get("text"), str)
        ]
        if not texts:
            raise self._malformed(path, "content[0].text")
        return "".join(texts)

    async def probe(self) -> None:
        await self._call("GET", "/v1/models")


class OllamaProvider(HTTPProvider):
    """A local or remote Ollama server: ``POST /api/chat`` (not streamed).

    Needs no key, so it is always configured. ``max_tokens`` becomes
    ``options.num_predict``. The health probe is ``GET /api/tags``, and the model must be
    among the pulled ones (``llama3.2`` matches ``llama3.2:latest``).
    """

    def __init__(
        self,
        base_url: str = "http://localhost:11434",
        model: str = "llama3.2",
        *,
        name: str = "ollama",
        timeout: Duration = 10.0,
        client: httpx.AsyncClient | None = None,
        breaker: CircuitBreaker | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(
            name=name,
            model=model,
            base_url=base_url,
            api_key=None,
            timeout=timeout,
            client=client,
            breaker=breaker,
            retry=retry,
            clock=clock,
        )

    @property
    def configured(self) -> bool:
        return True

    async def attempt(self, prompt: str, max_tokens: int) -> str:
        path = "/api/chat"
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "stream": False,
            "options": {"num_predict": max_tokens},
        }
        text = _dig(await self._call("POST", path, body), "message", "content")
        if not isinstance(text, str):
            raise self._malformed(path, "message.content")
        return text

    async def probe(self) -> None:
        models = _dig(await self._call("GET", "/api/tags"), "models")
        if not isinstance(models, list):
            raise self._error("malformed", "GET /api/tags: the answer has no models list", 200)
        names = [m.get("name") for m in models if isinstance(m, dict)]
        wanted = {self.model} if ":" in self.model else {self.model, f"{self.model}:latest"}
        if wanted.isdisjoint(names):
            pulled = ", ".join(str(n) for n in names) or "none"
            raise self._error(
                "rejected", f"model {self.model!r} is not pulled on the server (pulled: {pulled})"
            )
