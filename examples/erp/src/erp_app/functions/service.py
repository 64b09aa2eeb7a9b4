"""The functions catalogue: JSONL files read into a checked tree, cached with a TTL.

Reading is all or nothing. Every line of every ``*.jsonl`` file in the directory is parsed
and the whole set is checked (duplicate ids, unknown parents, kinds, cycles) before a new
tree replaces the old one, so a half-edited file never serves half a tree. When a reload
fails, the last good tree stays in service, marked stale, and ``health()`` says DEGRADED
with the reason; the next reload is tried one TTL later.

Who reloads is decided in plain code on the event loop: the first caller that finds the
tree older than the TTL starts the one reload (a *flight*) and every other caller waits for
it, so a thousand concurrent requests read the files once. The reload itself runs in a
worker thread (file I/O and parsing stay off the loop) and is shielded from the starting
request's cancellation, because the others are waiting for its result.
"""

from __future__ import annotations

import dataclasses
import math
import pathlib
import re
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
import pydantic
import structlog

from erp_app.functions.schemas import CatalogRecord, NodeKind
from steinresil import ComponentHealth, HealthStatus

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence


__all__ = [
    "DEFAULT_DIRECTORY",
    "CatalogError",
    "CatalogSnapshot",
    "FunctionNode",
    "FunctionsCatalog",
    "Problem",
    "read_catalog",
]

DEFAULT_DIRECTORY = pathlib.Path(__file__).resolve().parent.parent / "data" / "functions"
"""The catalogue shipped inside the package (``erp_app/data/functions``)."""

FILE_PATTERN = "*.jsonl"
MAX_PROBLEMS_IN_MESSAGE = 10  # the full list stays on CatalogError.problems
_LINE_ONE = re.compile(r"at line 1 column")

log = structlog.get_logger("erp.functions")


# ---- errors --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the catalogue, where it is: ``file`` is a name, not a path."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class CatalogError(Exception):
    """Nothing loadable: the message names each problem's file and line."""

    def __init__(self, directory: pathlib.Path, problems: Sequence[Problem]) -> None:
        self.directory = directory
        self.problems = tuple(problems)
        super().__init__(f"functions catalogue in {directory} not loaded: {self.summary}")

    @property
    def summary(self) -> str:
        """The problems without the directory, for health output and API errors."""
        shown = "; ".join(str(problem) for problem in self.problems[:MAX_PROBLEMS_IN_MESSAGE])
        hidden = len(self.problems) - MAX_PROBLEMS_IN_MESSAGE
        return shown + (f"; and {hidden} more" if hidden > 0 else "")


# ---- the tree ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FunctionNode:
    """A node of the catalogue with its children, sorted by ``order`` then ``id``."""

    id: str
    parent: str | None
    title: str
    title_de: str | None
    kind: NodeKind
    description: str
    route: str | None
    permissions: tuple[str, ...]
    tags: tuple[str, ...]
    order: int
    children: tuple[FunctionNode, ...] = field(repr=False)
    file: str = field(repr=False)
    line: int = field(repr=False)


@dataclass(frozen=True, slots=True, eq=False, weakref_slot=True)
class CatalogSnapshot:
    """One loaded catalogue. Immutable: readers on any thread or task share it safely.

    Compared and hashed by identity (``eq=False``) and weakly referable, so that views
    derived from it can be cached per snapshot.
    """

    roots: tuple[FunctionNode, ...]
    by_id: Mapping[str, FunctionNode]
    loaded_at: datetime
    files: tuple[str, ...]
    stale: bool = False
    error: str | None = None
    # Lower-cased (title, tags, description) per id, built once so that a search does not
    # casefold the whole catalogue per request.
    _texts: Mapping[str, tuple[str, str, str]] = field(init=False, repr=False)
    # Position in a depth-first walk (``by_id`` is in that order): search ties keep the
    # order a reader sees in the tree.
    _rank: Mapping[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        texts = {node_id: _texts(node) for node_id, node in self.by_id.items()}
        ranks = {node_id: rank for rank, node_id in enumerate(self.by_id)}
        # Frozen: the derived indexes are set once, here, the way dataclasses do it.
        object.__setattr__(self, "_texts", MappingProxyType(texts))
        object.__setattr__(self, "_rank", MappingProxyType(ranks))

    def get(self, node_id: str) -> FunctionNode | None:
        return self.by_id.get(node_id)

    def path(self, node_id: str) -> tuple[FunctionNode, ...]:
        """The breadcrumb from the area down to ``node_id`` itself; empty if unknown."""
        steps: list[FunctionNode] = []
        node = self.by_id.get(node_id)
        while node is not None:
            steps.append(node)
            node = self.by_id.get(node.parent) if node.parent is not None else None
        return tuple(reversed(steps))

    def search(self, query: str, limit: int) -> tuple[int, list[FunctionNode]]:
        """Nodes whose title, tags or description contain every word of ``query``.

        Best first: a word in the title counts most, then in a tag, then in the description,
        and a title that starts with the whole query gets a bonus; equal scores keep the
        catalogue's order. Returns (number of matches, the best ``limit`` of them).
        """
        words = query.casefold().split()
        if not words:
            return 0, []
        phrase = " ".join(words)
        scored: list[tuple[int, int, FunctionNode]] = []
        for node_id, (title, tags, description) in self._texts.items():
            score = _score(words, phrase, title, tags, description)
            if score:
                scored.append((-score, self._rank[node_id], self.by_id[node_id]))
        scored.sort(key=lambda item: (item[0], item[1]))
        return len(scored), [node for _, _, node in scored[:limit]]


def _score(words: list[str], phrase: str, title: str, tags: str, description: str) -> int:
    score = 0
    for word in words:
        if word in title:
            score += 3
        elif word in tags:
            score += 2
        elif word in description:
            score += 1
        else:
            return 0
    return score + (2 if title.startswith(phrase) else 0)


# ---- reading and checking ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    record: CatalogRecord
    file: str
    line: int


def read_catalog(directory: pathlib.Path) -> CatalogSnapshot:
    """Read and check every catalogue file in ``directory``; blocking, run it in a thread.

    Raises ``CatalogError`` listing every problem found, so one edit can fix them all.
    """
    files = _catalogue_files(directory)
    entries: list[_Entry] = []
    problems: list[Problem] = []
    for path in files:
        _read_file(path, entries, problems)
    if not problems:
        problems.extend(_check_tree(entries))
    if problems:
        raise CatalogError(directory, problems)
    return _build(entries, tuple(path.name for path in files))


def _catalogue_files(directory: pathlib.Path) -> list[pathlib.Path]:
    # Problems name the directory by its last part only: the summary reaches health output
    # and API errors, the full path stays in the exception's message for the log.
    name = directory.name or str(directory)
    try:
        files = sorted(path for path in directory.glob(FILE_PATTERN) if path.is_file())
    except OSError as exc:
        raise CatalogError(directory, [Problem(name, None, _os_reason(exc))]) from exc
    if not directory.is_dir():
        raise CatalogError(directory, [Problem(name, None, "is not a directory")])
    if not files:
        raise CatalogError(directory, [Problem(name, None, f"has no {FILE_PATTERN} files")])
    return files


def _os_reason(exc: OSError) -> str:
    return f"cannot be read ({exc.strerror or type(exc).__name__})"


def _read_file(path: pathlib.Path, entries: list[_Entry], problems: list[Problem]) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(path.name, None, _os_reason(exc)))
        return
    # An editor's byte-order mark would otherwise make line 1 malformed JSON.
    data = data.removeprefix(b"\xef\xbb\xbf")
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = CatalogRecord.model_validate_json(raw, strict=True)
        except pydantic.ValidationError as exc:
            problems.extend(Problem(path.name, number, _describe(e)) for e in exc.errors())
        else:
            entries.append(_Entry(record, path.name, number))


def _describe(error: Any) -> str:
    """A pydantic error as one clause naming the field and, where it helps, the value."""
    location = ".".join(str(part) for part in error.get("loc", ()))
    kind = error.get("type", "")
    message = str(error.get("msg", "invalid"))
    if kind == "json_invalid":
        # The parser sees one line at a time: its "line 1" would contradict the file line.
        reason = str(error.get("ctx", {}).get("error", message))
        return f"malformed JSON ({_LINE_ONE.sub('at column', reason)})"
    if not location:
        return f"not a catalogue record: {message}"
    if kind == "extra_forbidden":
        return f"unknown field {location!r}"
    if kind == "missing":
        return f"field {location!r} is missing"
    value = repr(error.get("input"))
    value = value if len(value) <= 60 else value[:57] + "..."
    return f"field {location!r}: {message} (got {value})"


def _check_tree(entries: Sequence[_Entry]) -> list[Problem]:
    by_id: dict[str, _Entry] = {}
    problems: list[Problem] = []
    for entry in entries:
        first = by_id.setdefault(entry.record.id, entry)
        if first is not entry:
            where = f"{first.file}:{first.line}"
            problems.append(_at(entry, f"duplicate id {entry.record.id!r} (first at {where})"))
    for entry in by_id.values():
        problems.extend(_check_parent(entry, by_id))
    if not problems:
        problems.extend(_find_cycles(by_id))
    return problems


def _at(entry: _Entry, message: str) -> Problem:
    return Problem(entry.file, entry.line, message)


def _check_parent(entry: _Entry, by_id: Mapping[str, _Entry]) -> Iterable[Problem]:
    """Areas are exactly the roots; a parent exists and is not a function (those are leaves)."""
    record = entry.record
    if record.parent is None:
        if record.kind != "area":
            yield _at(entry, f"kind must be 'area' for a root (parent null), got {record.kind!r}")
        return
    if record.kind == "area":
        yield _at(entry, f"area {record.id!r} must have parent null, got {record.parent!r}")
    parent = by_id.get(record.parent)
    if parent is None:
        yield _at(entry, f"unknown parent {record.parent!r} of {record.id!r}")
    elif parent.record.kind == "function":
        yield _at(entry, f"parent {record.parent!r} is a function; functions have no children")


def _find_cycles(by_id: Mapping[str, _Entry]) -> list[Problem]:
    """Every parent loop once, reported at the line of its first node (in file order)."""
    problems: list[Problem] = []
    done: set[str] = set()
    for start in by_id:
        chain: list[str] = []
        node_id: str | None = start
        while node_id is not None and node_id not in done and node_id not in chain:
            chain.append(node_id)
            node_id = by_id[node_id].record.parent
        if node_id is not None and node_id in chain:
            loop = chain[chain.index(node_id) :]
            first = min(loop, key=lambda member: (by_id[member].file, by_id[member].line))
            shown = " -> ".join([*loop, loop[0]])
            problems.append(_at(by_id[first], f"parent cycle: {shown}"))
        done.update(chain)
    return problems


def _build(entries: Sequence[_Entry], files: tuple[str, ...]) -> CatalogSnapshot:
    """The checked entries as a tree; children are built before parents, without recursion."""
    children_of: dict[str | None, list[_Entry]] = defaultdict(list)
    for entry in entries:
        children_of[entry.record.parent].append(entry)
    for siblings in children_of.values():
        siblings.sort(key=lambda entry: (entry.record.order, entry.record.id))
    walk = _depth_first(children_of)
    nodes: dict[str, FunctionNode] = {}
    for entry in reversed(walk):
        kids = tuple(nodes[child.record.id] for child in children_of.get(entry.record.id, ()))
        nodes[entry.record.id] = _node(entry, kids)
    by_id = {entry.record.id: nodes[entry.record.id] for entry in walk}
    return CatalogSnapshot(
        roots=tuple(nodes[entry.record.id] for entry in children_of[None]),
        by_id=MappingProxyType(by_id),
        loaded_at=datetime.now(UTC),
        files=files,
    )


def _depth_first(children_of: Mapping[str | None, list[_Entry]]) -> list[_Entry]:
    walk: list[_Entry] = []
    stack = list(reversed(children_of.get(None, [])))
    while stack:
        entry = stack.pop()
        walk.append(entry)
        stack.extend(reversed(children_of.get(entry.record.id, [])))
    return walk


def _node(entry: _Entry, children: tuple[FunctionNode, ...]) -> FunctionNode:
    record = entry.record
    return FunctionNode(
        id=record.id,
        parent=record.parent,
        title=record.title,
        title_de=record.title_de,
        kind=record.kind,
        description=record.description,
        route=record.route,
        permissions=tuple(record.permissions),
        tags=tuple(record.tags),
        order=record.order,
        children=children,
        file=entry.file,
        line=entry.line,
    )


def _texts(node: FunctionNode) -> tuple[str, str, str]:
    title = f"{node.title} {node.title_de or ''}".casefold()
    return title, " ".join(node.tags).casefold(), node.description.casefold()


# ---- the cache -----------------------------------------------------------------------------


class FunctionsCatalog:
    """The catalogue of ``directory``, reloaded when older than ``ttl`` seconds.

    ``clock`` measures the TTL (monotonic seconds); tests pass a fake one and never sleep.
    """

    def __init__(
        self,
        directory: pathlib.Path,
        *,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(ttl, bool) or not isinstance(ttl, int | float):
            raise TypeError(f"FunctionsCatalog: ttl must be a number of seconds, got {ttl!r}")
        if not (ttl > 0 and math.isfinite(ttl)):
            raise ValueError(f"FunctionsCatalog: ttl must be a finite number > 0, got {ttl!r}")
        self._directory = pathlib.Path(directory)
        self._ttl = float(ttl)
        self._clock = clock
        self._snapshot: CatalogSnapshot | None = None
        self._failure: CatalogError | None = None
        self._checked_at: float | None = None
        self._flight: anyio.Event | None = None
        self._reloads = 0
        self._failed_reloads = 0

    @property
    def directory(self) -> pathlib.Path:
        return self._directory

    @property
    def ttl(self) -> float:
        return self._ttl

    @property
    def reloads(self) -> int:
        """Reads of the files so far, the first load included."""
        return self._reloads

    @property
    def failed_reloads(self) -> int:
        return self._failed_reloads

    async def load(self) -> None:
        """Read the files now (at start-up); ``CatalogError`` if they are not loadable.

        After a failure an earlier tree, if any, stays in service, marked stale.
        """
        await self._reload_once()
        if self._failure is not None or self._snapshot is None:
            raise self._unavailable()

    async def snapshot(self) -> CatalogSnapshot:
        """The current tree, reloaded first if older than the TTL.

        ``CatalogError`` only if no tree was ever loaded; after that a failed reload serves
        the last good tree with ``stale=True``.
        """
        if self._due():
            await self._reload_once()
        current = self._snapshot
        if current is None:
            raise self._unavailable()
        return current

    def health(self) -> ComponentHealth:
        """HEALTHY, DEGRADED (stale after a failed reload) or UNHEALTHY (never loaded).

        Reads state only: safe from any thread, no I/O.
        """
        current, failure = self._snapshot, self._failure
        if current is None:
            error = failure.summary if failure is not None else "not loaded yet"
            return ComponentHealth(HealthStatus.UNHEALTHY, details=_details(None), error=error)
        status = HealthStatus.DEGRADED if current.stale else HealthStatus.HEALTHY
        return ComponentHealth(status, details=_details(current), error=current.error)

    def _unavailable(self) -> CatalogError:
        if self._failure is not None:
            return _copy(self._failure)
        # Only if a reload was interrupted by something that is not an Exception.
        return CatalogError(self._directory, [Problem(self._directory.name, None, "not loaded")])

    def _due(self) -> bool:
        return self._checked_at is None or self._clock() - self._checked_at >= self._ttl

    async def _reload_once(self) -> None:
        """Join the reload in flight, or start it: one read of the files at a time."""
        flight = self._flight
        if flight is not None:
            await flight.wait()
            return
        flight = self._flight = anyio.Event()
        try:
            # The other callers wait on this flight: the starter's cancellation must not
            # abandon it halfway.
            with anyio.CancelScope(shield=True):
                await self._reload()
        finally:
            self._flight = None
            flight.set()

    async def _reload(self) -> None:
        self._reloads += 1
        try:
            fresh = await anyio.to_thread.run_sync(read_catalog, self._directory)
        except CatalogError as exc:
            self._failed(exc)
        except Exception as exc:  # a bug in reading must not take the served tree down
            log.exception("functions catalogue reload crashed", directory=str(self._directory))
            problem = Problem(self._directory.name, None, f"{type(exc).__name__}: {exc}")
            self._failed(CatalogError(self._directory, [problem]))
        else:
            self._succeeded(fresh)
        finally:
            self._checked_at = self._clock()

    def _succeeded(self, fresh: CatalogSnapshot) -> None:
        recovered = self._failure is not None and self._snapshot is not None
        self._snapshot, self._failure = fresh, None
        log.info(
            "functions catalogue recovered" if recovered else "functions catalogue loaded",
            nodes=len(fresh.by_id),
            files=len(fresh.files),
        )

    def _failed(self, error: CatalogError) -> None:
        self._failed_reloads += 1
        self._failure = error
        if self._snapshot is not None:
            self._snapshot = dataclasses.replace(self._snapshot, stale=True, error=error.summary)
        log.warning(
            "functions catalogue not loaded",
            directory=str(self._directory),
            problems=len(error.problems),
            first_problem=str(error.problems[0]) if error.problems else None,
            serving="stale" if self._snapshot is not None else "nothing",
        )


def _copy(error: CatalogError) -> CatalogError:
    # A fresh exception per raise: one instance raised in many tasks would pile up tracebacks.
    return CatalogError(error.directory, error.problems)


def _details(snapshot: CatalogSnapshot | None) -> dict[str, Any]:
    if snapshot is None:
        return {"nodes": 0, "roots": 0, "files": 0, "loaded_at": None, "stale": False}
    return {
        "nodes": len(snapshot.by_id),
        "roots": len(snapshot.roots),
        "files": len(snapshot.files),
        "loaded_at": snapshot.loaded_at.isoformat(),
        "stale": snapshot.stale,
    }
