"""Reading a YAML file a client hands over, safely: never a hang, never a blow-up.

The file is checked with ``os.stat`` before it is opened and opened without blocking, so a
pipe, a device, ``/dev/fd/N`` or a symlink loop is refused instead of read forever; at most
:data:`MAX_PARAMS_BYTES` are read. YAML aliases are counted on the node graph, without
being expanded, and a document over :data:`MAX_YAML_VALUES` values (a "billion laughs") or
one whose alias contains itself is refused. A value YAML recognises but cannot hold (a date
``2024-13-45``, a 5,000-digit number) is reported at its line. Every problem is a
:class:`~playbook.errors.ParamsError` with a bounded message naming the file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import yaml

from playbook.errors import ParamsError, shorten

__all__ = ["MAX_PARAMS_BYTES", "MAX_YAML_VALUES", "not_regular", "stat_problem", "read_text",
           "read_yaml"]

#: The largest parameters file read (bytes); a real one is a few kilobytes.
MAX_PARAMS_BYTES = 1 << 20
#: The most values (scalars, lists and mappings, aliases expanded) a parameters file may hold.
MAX_YAML_VALUES = 100_000

_FILE_KINDS = ((stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISCHR, "a device"),
               (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def not_regular(mode: int) -> str | None:
    """What a file is when it is not a regular file or a folder (``"a pipe (FIFO)"``)."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return next((kind for test, kind in _FILE_KINDS if test(mode)), "not a regular file")


def stat_problem(exc: OSError) -> str:
    """Why ``os.stat`` failed, in words."""
    if exc.errno == errno.ELOOP:
        return "is a symbolic link that loops back on itself"
    if exc.errno == errno.ENAMETOOLONG:
        return "is a path too long for the system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read: permission denied"
    return f"cannot be read ({exc.strerror or type(exc).__name__})"


def read_text(path: Path, what: str = "Parameters file") -> str:
    """The parameters file's text: a regular file of at most :data:`MAX_PARAMS_BYTES`.

    ``what`` names the file in messages ("Parameters file", "Competitor file").

    The file is checked with ``os.stat`` before it is opened, and opened without blocking,
    so a pipe, a device, ``/dev/fd/N`` or a symlink loop is refused instead of read forever.
    """
    shown = shorten(os.path.abspath(path), 200)
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise ParamsError(f"{what} {shown} does not exist. Check the path, or start "
                          f"one with `playbook new-client NAME`.") from None
    except (OSError, ValueError) as exc:
        why = stat_problem(exc) if isinstance(exc, OSError) else "is not a valid path"
        raise ParamsError(f"{what} {shown} {why}. Give the path of the client's "
                          f".yaml file.") from None
    if stat.S_ISDIR(info.st_mode):
        raise ParamsError(f"{what} {shown} is a folder, not a file. Give the path of "
                          f"the client's .yaml file.") from None
    kind = not_regular(info.st_mode)
    if kind:
        raise ParamsError(f"{what} {shown} is {kind}, not a regular file: "
                          f"parameters are read only from a file saved on disk, not from a "
                          f"pipe, a device or a <(...) substitution. Save them as a .yaml file "
                          f"and give its path.")
    too_big = (f"{what} {shown} is larger than {MAX_PARAMS_BYTES // 1024:,} KB; a "
               f"parameters file is a few kilobytes. Check that this is the client's .yaml "
               f"file.")
    if info.st_size > MAX_PARAMS_BYTES:
        raise ParamsError(too_big)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
        | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ParamsError(f"{what} {shown} {stat_problem(exc)}. Give the path of "
                          f"the client's .yaml file.") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since it was checked
            raise ParamsError(f"{what} {shown} is not a regular file. Save the "
                              f"parameters as a .yaml file and give its path.")
        chunks, size = [], 0
        while size <= MAX_PARAMS_BYTES:
            chunk = os.read(fd, MAX_PARAMS_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ParamsError(f"{what} {shown} cannot be read ({exc.strerror}). Check "
                          f"the file and run again.") from None
    finally:
        os.close(fd)
    if size > MAX_PARAMS_BYTES:
        raise ParamsError(too_big)
    try:
        return b"".join(chunks).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParamsError(f"{what} {shown} is not UTF-8 text. Save it as UTF-8 "
                          f"and run again.") from None


class _ValueUnreadable(yaml.constructor.ConstructorError):
    """A scalar YAML recognises (a date, a number) but whose value is out of range."""


class _Loader(yaml.SafeLoader):
    """The safe loader, with a value out of range (``2024-13-45``, a 5,000-digit number)
    reported at its line instead of raising a bare ``ValueError``.
    """

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, TypeError) as exc:
            value = node.value if isinstance(node.value, str) else node.tag
            raise _ValueUnreadable(
                None, None, f"the value {shorten(value, 40)!r} cannot be read "
                            f"({shorten(exc, 80)})", node.start_mark) from None


def _expanded_size(root: yaml.Node) -> int | None:
    """How many values the document holds once every alias is expanded, or None when an
    alias refers to a node that contains it (an endless document).

    Counted on the node graph (an alias is the same node object), so a "billion laughs"
    document is measured without being expanded. A long text counts one per 80 characters.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_YAML_VALUES:
                return sizes[key]
            continue
        if key in sizes:
            continue
        if key in on_path:
            return None
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1 + len(node.value) // 80
            continue
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _parse_yaml(text: str, shown: str, what: str = "Parameters file"):
    """The YAML document in ``text``, bounded: see :data:`MAX_YAML_VALUES`."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node)
        if size is None:
            raise ParamsError(f"{what} {shown} has an alias (*name) that refers to "
                              f"a value containing itself. Write the value out instead of "
                              f"the alias.")
        if size > MAX_YAML_VALUES:
            raise ParamsError(f"{what} {shown} holds more than {MAX_YAML_VALUES:,} "
                              f"values once its aliases (*name) are expanded; a parameters "
                              f"file holds a few dozen. Remove the aliases and write the "
                              f"values out.")
        return loader.construct_document(node)
    except RecursionError:
        raise ParamsError(f"{what} {shown} is nested too deeply to be parameters. "
                          f"Check the indentation and brackets.") from None
    finally:
        loader.dispose()


def read_yaml(path: Path, what: str = "Parameters file") -> dict:
    """The mapping in the YAML file at ``path``, read and parsed within the bounds above.

    ``what`` names the file in messages ("Parameters file", "Competitor file").
    """
    shown = shorten(os.path.abspath(path), 200)
    text = read_text(path, what)
    try:
        loaded = _parse_yaml(text, shown, what)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or "it is not valid YAML"
        fix = "Check the indentation and quoting there."
        if isinstance(exc, yaml.reader.ReaderError):
            line = f" at character {exc.position + 1}"
            code = exc.character if isinstance(exc.character, int) else ord(exc.character)
            problem = f"a control character (U+{code:04X}) that YAML does not allow"
            fix = "Remove it (save the file as plain UTF-8 text)."
        elif isinstance(exc, _ValueUnreadable):
            fix = "Write dates as YYYY-MM-DD and numbers as plain digits."
        elif isinstance(exc, yaml.constructor.ConstructorError):
            fix = "Tags such as !!python/... are not allowed: remove the tag and write the value."
        raise ParamsError(f"{what} {shown} cannot be read{line}: "
                          f"{shorten(problem, 160)}. {fix}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        keys = "client:, data:, ..." if what == "Parameters file" else "name: value"
        raise ParamsError(f"{what} {shown} must be a mapping of keys ({keys}), not a "
                          f"{type(loaded).__name__}.")
    return loaded
