"""Atomic file writes: a killed run never leaves a half-written table, JSON or feature cache that a later
run would read as valid.

Each writer writes a temporary file beside its target (same folder, so the same file system) and renames
it onto the target with `os.replace`, which POSIX and Windows make atomic: a reader sees the old file or
the new one, never a part. The temporary name keeps the target's suffix, since NumPy and matplotlib pick
a format from it. A kill leaves at most a hidden ``.<stem>.<pid>-<random><suffix>`` file, which nothing reads.
(A power cut can still lose the last write: no ``fsync`` is made, the suite's files can be regenerated.)
"""

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to; when the block ends without an error it
    replaces ``path`` in one rename, and on an error it is removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # not tempfile.mkstemp: its file is private (0600) and the target would keep that mode
    temporary = path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}{path.suffix}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    with replacing(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(path)
