"""A persisted cache of data derived from source files, in the per-user cache folder.

``key(*paths)`` checksums the files' bytes with the package and Python versions;
``load(name, key)`` gives back what ``store(name, key, data, blobs)`` kept under that key,
or None; ``fetch`` and ``keep`` do the same for objects through a ``Codec`` and ``cached``
puts them around a function that builds one. One file per name: a header line (the key,
a checksum of the rest, the length of each part), then the data as JSON, then the blobs,
raw bytes that a reader slices out without decoding them (the phrase table a process
opens a few characters of). No pickle: a cache must never be able to run code. Written
atomically; a stale, damaged or foreign file reads as a miss and the caller rebuilds and
stores again. Nothing here raises: a folder that cannot be read or written just means
no cache.

The checksums are CRC-32 with the lengths: enough to tell an edited or damaged file from
the one the cache was built from, and free to import, where hashlib's OpenSSL start-up
takes ~3 ms of a run that should take 50 (nobody needs guarding from forging their own
cache).

The folder: ``$SIMULATOR_CACHE`` (``off`` turns the cache off), else the per-user cache
folder (on Windows and macOS platformdirs' answer; elsewhere the XDG rule it follows too,
worked out here because importing platformdirs would cost more than the cache saves).

``Regexes`` keeps the compiled programs of a module's fixed regexes, and
``compiled_program`` / ``from_program`` those of the detector's gap parts: parsing a
pattern is most of ``re.compile``'s time, and a run would otherwise spend ~10 ms of its
50 on it.

``Codec`` turns our own objects into that JSON and back: plain values and containers, and
instances of the classes it is given: a ``NamedTuple`` by its fields, anything else by
the same state pickle would use (``__getstate__`` / ``__setstate__``, else the
instance's attributes), shared objects kept shared; ``bytes`` go to the blobs. Only the
listed classes can come back, and nothing in the file is run.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import simulator

#: The same application folder name as ``simulator.store.APP_NAME``.
APP_NAME = "xinfang-simulator"
ENV_CACHE = "SIMULATOR_CACHE"
#: Bump when the file layout below changes.
FORMAT = 2

T = TypeVar("T")


def folder() -> Path | None:
    """Where cache files live; None when the cache is off."""
    setting = os.environ.get(ENV_CACHE, "").strip()
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting).expanduser()
    if sys.platform == "win32" or sys.platform == "darwin":
        from platformdirs import user_cache_dir

        return Path(user_cache_dir(APP_NAME, appauthor=False))
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
    if base.startswith("~"):  # no home folder to be found: no cache
        return None
    return Path(base) / APP_NAME


def key(*paths: Path) -> str | None:
    """A checksum of these files' bytes, the package version and the Python version; None
    when a file cannot be read (the caller then reads the files and reports the problem)."""
    parts = [f"{FORMAT} {simulator.__version__} {sys.version}"]
    try:
        for path in paths:
            parts.append(checksum(path.read_bytes()))
    except OSError:
        return None
    return " ".join(parts)


def checksum(data: bytes | memoryview) -> str:
    return f"{len(data)}:{zlib.crc32(data):08x}"


def load(name: str, key: str | None) -> tuple[Any, list[memoryview]] | None:
    """The data and blobs (read-only views of the file's bytes) stored under ``name``
    with this ``key``, or None (no file, stale, damaged)."""
    where = folder()
    if key is None or where is None:
        return None
    try:
        raw = (where / f"{name}.json").read_bytes()
        at = raw.index(b"\n") + 1
        header = json.loads(raw[:at])
        body = memoryview(raw)[at:]  # the blobs are views of the file, not copies
        if header.get("key") != key or header.get("body") != checksum(body):
            return None
        ends = [at + end for end in itertools.accumulate(header["parts"])]
        if not ends or ends[-1] != len(raw):
            return None
        data = json.loads(raw[at:ends[0]])
        return data, [body[start - at:end - at] for start, end in itertools.pairwise(ends)]
    except (OSError, ValueError, AttributeError, KeyError, TypeError, RecursionError):
        return None


def store(name: str, key: str | None, data: Any, blobs: list[bytes] | tuple[()] = ()) -> None:
    """Keep ``data`` (JSON: dicts with string keys, lists, strings, numbers, booleans,
    None) and ``blobs`` (raw bytes, kept after it as they are) under ``name`` and
    ``key``; data that would not read back equal is not kept."""
    where = folder()
    if key is None or where is None:
        return
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if json.loads(text) != data:
            return
        parts = [text.encode("utf-8"), *blobs]
    except (TypeError, ValueError, RecursionError):
        return
    body = b"".join(parts)
    header = json.dumps({"key": key, "body": checksum(body), "parts": [len(p) for p in parts]})
    temp = where / f".{name}.{os.getpid()}.tmp"
    try:
        where.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(header.encode() + b"\n" + body)
        os.replace(temp, where / f"{name}.json")
    except OSError:
        temp.unlink(missing_ok=True)


def cached(name: str, key: str | None, codec: Codec, kind: type[T], build: Callable[[], T]) -> T:
    """What ``build()`` gave for this key before, else ``build()`` now, kept for next time."""
    value = fetch(name, key, codec, kind)
    if value is None:
        value = build()
        keep(name, key, codec, value)
    return value


def fetch(name: str, key: str | None, codec: Codec, kind: type[T]) -> T | None:
    """The ``kind`` kept under ``name`` for this key, or None."""
    stored = load(name, key)
    if stored is None:
        return None
    try:
        value = codec.decode(*stored)
    except Exception:  # noqa: BLE001 - a file it cannot read is rebuilt
        return None
    return value if type(value) is kind else None


def keep(name: str, key: str | None, codec: Codec, value: Any) -> None:
    """Store ``value`` through ``codec``; nothing when the codec cannot keep all of it."""
    blobs: list[bytes] = []
    try:
        data = codec.encode(value, blobs)
    except TypeError:
        return
    store(name, key, data, blobs)


def classes_of(*modules: Any) -> list[type]:
    """Every class defined in these modules (for a ``Codec``)."""
    return [value for module in modules for value in vars(module).values()
            if isinstance(value, type) and value.__module__ == module.__name__]


# Compiled regexes. ``re.compile`` parses a pattern and generates its program in Python
# (``re._parser``, ``re._compiler``), 0.1-0.8 ms a pattern, then hands the program to
# the C matcher (``_sre.compile``), which checks it before it runs it. A program kept
# here is read back only by the interpreter that made it (the key names the exact Python
# version), and anything amiss (another Python's internals, a damaged file) falls back
# to ``re.compile``.

#: (the number of groups, each group's name or None, the code as 32-bit words)
Program = tuple[int, tuple[str | None, ...], bytes]


def compiled_program(source: str) -> Program | None:
    """``re.compile(source)``'s program, or None where this Python has no such form."""
    try:
        import array
        from re import _compiler, _parser

        parsed = _parser.parse(source, 0)
        if parsed.state.flags != re.UNICODE:
            return None  # inline flags: not worth keeping
        names: list[str | None] = [None] * parsed.state.groups
        for name, index in parsed.state.groupdict.items():
            names[index] = name
        code = array.array("I", _compiler._code(parsed, 0))
        return parsed.state.groups - 1, tuple(names), code.tobytes()
    except Exception:  # noqa: BLE001 - no program: the pattern compiles as usual
        return None


def from_program(source: str, program: Program) -> re.Pattern[str] | None:
    """The pattern ``compiled_program(source)`` gave ``program`` for, or None when it
    will not load."""
    try:
        import _sre
        import array

        groups, names, words = program
        code = array.array("I")
        code.frombytes(words)
        index = {name: i for i, name in enumerate(names) if name is not None}
        return _sre.compile(source, re.UNICODE, code.tolist(), groups, index, tuple(names))
    except Exception:  # noqa: BLE001 - the caller compiles the source instead
        return None


class Regexes:
    """A module's regexes, from the programs an earlier process kept under ``name``:
    ``compile`` each, then ``keep`` once at the end of the module (it writes only when
    something was compiled afresh, and keeps exactly what this module asked for)."""

    def __init__(self, name: str) -> None:
        self.name, self.key = f"regexes-{name}", f"{FORMAT} {sys.version}"
        self.on = folder() is not None
        stored = load(self.name, self.key) if self.on else None
        self.kept: dict[str, Program] = {}
        if stored is not None:
            try:
                data, blobs = stored
                for (source, groups, names), words in zip(data, blobs, strict=True):
                    self.kept[source] = (groups, tuple(names), words)
            except (TypeError, ValueError):
                self.kept = {}
        self.asked: dict[str, Program | None] = {}
        self.fresh = False

    def compile(self, source: str) -> re.Pattern[str]:
        program = self.kept.get(source)
        pattern = from_program(source, program) if program is not None else None
        if pattern is None:
            pattern = re.compile(source)
            program = compiled_program(source) if self.on else None
            self.fresh = True
        self.asked[source] = program
        return pattern

    def keep(self) -> None:
        if not (self.on and self.fresh):
            return
        kept = [(source, program) for source, program in self.asked.items() if program]
        store(self.name, self.key, [[source, groups, list(names)] for source, (groups, names, _) in kept],
              [words for _, (_, _, words) in kept])


_SCALARS = (str, int, float, bool, type(None))
_TAGS = {list: "l", tuple: "t", frozenset: "f", set: "s"}
#: Containers of plain values (read as they are) and of anything (each item decoded).
_PLAIN = {tag.upper(): kind for kind, tag in _TAGS.items()}
_NESTED = {tag: kind for kind, tag in _TAGS.items()}


class Codec:
    """Our objects <-> JSON data (see the module docstring); ``encode`` raises
    ``TypeError`` for anything it cannot bring back exactly."""

    def __init__(self, *classes: type) -> None:
        self.classes = {cls.__qualname__: cls for cls in classes}
        if len(self.classes) != len(classes):
            raise ValueError("two classes of the same name")

    def encode(self, value: Any, blobs: list[bytes] | None = None) -> Any:
        """JSON data for ``value``; ``bytes`` in it go to the end of ``blobs`` (none
        given: ``TypeError``) and the data holds their place."""
        return self._encode(value, {}, blobs)

    def _encode(self, value: Any, memo: dict[int, tuple[int, Any]], blobs: list[bytes] | None) -> Any:
        kind = type(value)
        if kind in _SCALARS:
            return value
        if (kind is bytes or kind is memoryview) and blobs is not None:
            blobs.append(bytes(value))
            return {"b": len(blobs) - 1}
        if kind is list or kind is tuple or kind is frozenset or kind is set:
            plain = all(type(item) in _SCALARS for item in value)
            if kind is list and plain:
                return list(value)
            if plain:
                return {_TAGS[kind].upper(): list(value)}
            return {_TAGS[kind]: [self._encode(item, memo, blobs) for item in value]}
        if kind is dict:
            return {"d": [[self._encode(k, memo, blobs), self._encode(v, memo, blobs)] for k, v in value.items()]}
        if self.classes.get(kind.__qualname__) is not kind:
            raise TypeError(f"cannot cache a {kind.__qualname__}")
        if id(value) in memo:
            return {"r": memo[id(value)][0]}
        memo[id(value)] = (len(memo), value)  # kept alive, so its id is not reused meanwhile
        return {"o": [kind.__qualname__, self._encode(_state(value), memo, blobs)]}

    def decode(self, data: Any, blobs: list[bytes] | list[memoryview] | tuple[()] = ()) -> Any:
        """Raises ``ValueError`` (or ``KeyError``/``TypeError``/``IndexError``) on data
        it did not write. (One closure over the memo: a catalogue is ~6,000 nodes, and
        this runs in every process that loads one.)"""
        memo: list[Any] = []
        classes = self.classes

        def walk(data: Any) -> Any:
            if type(data) is not dict:
                return data
            ((tag, items),) = data.items()
            if tag in _PLAIN:
                return _PLAIN[tag](items)
            if tag in _NESTED:
                return _NESTED[tag]([walk(item) for item in items])
            if tag == "d":
                return {walk(k): walk(v) for k, v in items}
            if tag == "r":
                return memo[items]
            if tag == "b":
                return blobs[items]
            if tag != "o":
                raise ValueError(f"unknown tag {tag}")
            name, state = items
            cls = classes[name]
            if issubclass(cls, tuple):  # a NamedTuple: its fields first, then the tuple
                at = len(memo)
                memo.append(None)
                memo[at] = obj = cls._make(walk(state))
                return obj
            obj = cls.__new__(cls)
            memo.append(obj)
            _set_state(obj, walk(state))
            return obj

        return walk(data)


def _state(obj: Any) -> Any:
    """A NamedTuple's fields; else what pickle would keep of ``obj``: its class's
    ``__getstate__``, else its attributes."""
    if isinstance(obj, tuple):
        return tuple(obj)
    getstate = getattr(type(obj), "__getstate__", None)
    if getstate is not None and getstate is not getattr(object, "__getstate__", None):
        return getstate(obj)
    slots = {}
    for cls in type(obj).__mro__:
        names = cls.__dict__.get("__slots__", ())
        for name in (names,) if isinstance(names, str) else names:
            if name in ("__dict__", "__weakref__"):
                continue
            if name.startswith("__"):  # name-mangled: not worth the trouble
                raise TypeError(f"cannot cache a {type(obj).__qualname__}")
            if hasattr(obj, name):
                slots[name] = getattr(obj, name)
    return (dict(vars(obj)) if hasattr(obj, "__dict__") else None, slots)


def _set_state(obj: Any, state: Any) -> None:
    setstate = getattr(type(obj), "__setstate__", None)
    if setstate is not None:
        setstate(obj, state)
        return
    attrs, slots = state
    for name, value in {**(attrs or {}), **slots}.items():
        object.__setattr__(obj, name, value)
