"""Validated parsing of raw interaction files into pandas tables.

Every reader reads all fields as text first and converts them column by column, so a bad value is
reported with its file, line and column, and the fix. Line numbers are 1-based and count header lines.
"""

import bz2
import csv
import gzip
import io
import os
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, DatasetNotFoundError

_EPOCH = pd.Timestamp(0, tz="UTC")


class Source:
    """A folder or a ``.zip`` archive holding a dataset's raw files.

    ``Source(path).open(name)`` finds ``name`` directly under the folder (or archive root) or one folder
    down (archives such as ``ml-100k.zip`` keep their files in ``ml-100k/``).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path) if self.path.suffix == ".zip" else None

    def _members(self) -> list[str]:
        if self._zip is not None:
            return [n for n in self._zip.namelist() if not n.endswith("/")]
        if not self.path.is_dir():
            return []
        found = []
        for entry in sorted(self.path.iterdir()):
            if entry.is_file():
                found.append(entry.name)
            elif entry.is_dir():
                found += [f"{entry.name}/{p.name}" for p in sorted(entry.iterdir()) if p.is_file()]
        return found

    def find(self, name: str) -> str | None:
        """The member path of ``name`` (at the top or one folder down), or ``None``."""
        members = self._members()
        if name in members:
            return name
        nested = [m for m in members if m.count("/") == 1 and m.split("/")[1] == name]
        return nested[0] if nested else None

    def has(self, name: str) -> bool:
        return self.find(name) is not None

    def label(self, name: str) -> str:
        """A human-readable location of ``name`` for error messages."""
        member = self.find(name) or name
        return f"{self.path}:{member}" if self._zip is not None else str(self.path / member)

    def read_bytes(self, name: str) -> bytes:
        member = self.find(name)
        if member is None:
            raise DatasetNotFoundError(
                f"{self.path}: file '{name}' not found (looked at the top level and one folder "
                f"down). Put the release's original '{name}' there."
            )
        if self._zip is not None:
            return self._zip.read(member)
        return (self.path / member).read_bytes()


def numbered_lines(path: Path, url: str) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` for each line (bytes) of a gzip or plain file, recognised by its first
    bytes, not its name; a file that cannot be read raises `DataError`, which says to download it
    again from ``url``."""
    try:
        with open(path, "rb") as f:
            magic = f.read(2)
        with gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb") as stream:
            yield from enumerate(stream, start=1)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{path}: cannot read the file ({err}); it looks truncated or corrupt. Download "
                        f"it again from {url}.") from err


COMPRESSED = (".gz", ".bz2", ".zip")


def uncompressed_name(path: str | os.PathLike) -> str:
    """The name of the file ``path`` holds once decompressed: ``clicks.csv`` for ``clicks.csv.gz`` (a
    ``.zip``'s member is named by `read_file`)."""
    path = Path(path)
    return path.stem if path.suffix in COMPRESSED else path.name


def read_file(path: str | os.PathLike) -> tuple[bytes, str]:
    """``(content, name)`` of a plain file, or of the one file in a gzip, bz2 or zip archive (recognised by
    the suffix, `COMPRESSED`); ``name`` (``clicks.csv`` for ``clicks.csv.gz`` or a ``.zip`` holding
    ``clicks.csv``) says what the content is. A truncated or corrupt archive raises `DataError` naming
    the file."""
    path = Path(path)
    if path.suffix not in COMPRESSED:
        return path.read_bytes(), path.name
    try:
        if path.suffix == ".gz":
            return gzip.decompress(path.read_bytes()), path.stem
        if path.suffix == ".bz2":
            return bz2.decompress(path.read_bytes()), path.stem
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if not n.endswith("/")]
            if len(members) == 1:
                return archive.read(members[0]), Path(members[0]).name
    except (OSError, EOFError, ValueError, zlib.error, zipfile.BadZipFile) as err:
        raise DataError(f"{path}: cannot read the {path.suffix} archive ({err}); it looks truncated or "
                        "corrupt. Compress the file again, or pass it uncompressed.") from err
    raise DataError(f"{path}: a .zip log must hold exactly one file; it holds {members}. Pass that file, "
                    "or an archive holding only it.")


def decode_text(data: bytes, label: str, encodings: Sequence[str]) -> str:
    """Decode ``data`` with the first encoding that works (e.g. UTF-8, then latin-1)."""
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError(f"{label}: cannot decode the file as any of {list(encodings)}.")


def read_delimited(
    text: str,
    label: str,
    *,
    sep: str,
    names: Sequence[str] | None = None,
    required: Sequence[str] = (),
    maxsplit: int | None = None,
) -> tuple[pd.DataFrame, int]:
    """Parse delimited text into an all-string DataFrame.

    Args:
      text: the file's decoded content.
      label: file name used in error messages.
      sep: field separator (``"\\t"``, ``","``, ``"|"``, ``"::"``, ...).
      names: column names when the file has no header line; ``None`` reads them from the header.
      required: columns that must be present.
      maxsplit: split each line at most this many times (so the last field may contain the separator,
        as Netflix titles contain commas); lines are split as plain text, without CSV quoting. Always
        the case for multi-character separators.

    Returns:
      ``(frame, header_lines)``; ``header_lines`` converts a row index to a file line number.
    """
    if not text.strip():
        raise DataError(f"{label}: the file is empty; expected {'a header and ' if names is None else ''}"
                        "one interaction per line.")
    header_lines = 0 if names is not None else 1
    if len(sep) > 1 or maxsplit is not None:
        frame = _split_lines(text, label, sep, names, maxsplit)
    else:
        try:
            frame = pd.read_csv(
                io.StringIO(text), sep=sep, header=None if names is not None else 0,
                names=list(names) if names is not None else None, dtype=str,
                keep_default_na=False, na_filter=False, engine="c",
                # Only comma-separated releases quote fields; in TSV and '|' files a quote is text.
                quoting=csv.QUOTE_MINIMAL if sep == "," else csv.QUOTE_NONE,
            )
        except pd.errors.ParserError as err:
            raise DataError(
                f"{label}: malformed line ({err}). Every line must have the same number of "
                f"{sep!r}-separated fields; quote fields that contain the separator."
            ) from err
        if not isinstance(frame.index, pd.RangeIndex):  # pandas took the extra first field as a label
            lines = [(k, s) for k, s in enumerate(text.splitlines(), start=1) if s.strip()]
            number, line = lines[header_lines]
            raise DataError(
                f"{label}: line {number} has more {sep!r}-separated fields than the {len(frame.columns)} "
                f"expected ({sep.join(map(str, frame.columns))}): {line[:120]!r}. Fix or remove that line "
                f"(a {sep!r} at the end of a line adds an empty field).")
        if text.rstrip().count("\n") + 1 != len(frame) + header_lines:  # blank or multi-line rows
            try:
                _set_lines(frame, header_lines, _csv_lines(text, sep, header_lines))
            except csv.Error as err:  # e.g. a field longer than the csv module's limit
                raise DataError(f"{label}: cannot read the file's lines ({err}). Check that the file is "
                                "complete and that every quoted field is closed.") from err
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(
            f"{label}: missing column(s) {missing}; found {list(frame.columns)}. "
            "Rename the columns or tell the loader which columns to use."
        )
    if frame.empty:
        raise DataError(f"{label}: the file has a header but no data rows.")
    return frame, header_lines


def check_field_counts(frame: pd.DataFrame, text: str, label: str, sep: str, header_lines: int) -> None:
    """Raise `DataError` for the first line of ``frame`` (made by `read_delimited` from ``text``) with
    fewer fields than the frame has columns: pandas reads missing fields as empty, so only rows whose
    last field is empty are looked at. A line with a quote character is left alone (a quoted field may
    hold the separator, or span lines)."""
    if len(sep) > 1:  # `_split_lines` checks lines split at a multi-character separator itself
        return
    empty = np.flatnonzero((frame.iloc[:, -1] == "").to_numpy(dtype=bool))
    if not len(empty):
        return
    lines = pd.Series(text.split("\n"), dtype=object).iloc[_lines(frame, empty, header_lines) - 1]
    lines = lines.str.rstrip("\r")
    fields = lines.str.count(re.escape(sep)).to_numpy() + 1
    short = np.flatnonzero((fields < len(frame.columns)) & ~lines.str.contains('"', regex=False).to_numpy())
    if len(short):
        k = short[0]
        raise DataError(
            f"{label}: line {lines.index[k] + 1} has {fields[k]} {sep!r}-separated fields, expected "
            f"{len(frame.columns)} ({sep.join(map(str, frame.columns))}): {lines.iloc[k][:120]!r}. Fix or "
            "remove that line.")


def _split_lines(
    text: str, label: str, sep: str, names: Sequence[str] | None, maxsplit: int | None
) -> pd.DataFrame:
    lines = text.splitlines()
    header_lines = 0
    if names is None:
        names, lines, header_lines = lines[0].split(sep), lines[1:], 1
    width = len(names)
    split = maxsplit if maxsplit is not None else width - 1
    rows, numbers = [], []
    for number, line in enumerate(lines, start=1 + header_lines):  # file line numbers
        if not line.strip():
            continue
        fields = line.split(sep, split)
        if len(fields) != width:
            raise DataError(
                f"{label}: line {number} has {len(fields)} {sep!r}-separated fields, expected "
                f"{width} ({sep.join(names)}): {line[:120]!r}. Fix or remove that line."
            )
        rows.append(fields)
        numbers.append(number)
    frame = pd.DataFrame(rows, columns=list(names), dtype=str)
    _set_lines(frame, header_lines, np.asarray(numbers, dtype=np.int64))
    return frame


def _csv_lines(text: str, sep: str, header_lines: int) -> np.ndarray:
    """The file line on which each data row of ``text`` starts, skipping blank lines as pandas does."""
    reader = csv.reader(io.StringIO(text), delimiter=sep,
                        quoting=csv.QUOTE_MINIMAL if sep == "," else csv.QUOTE_NONE)
    starts, previous = [], 0
    for record in reader:
        if record and not (len(record) == 1 and not record[0].strip()):
            starts.append(previous + 1)
        previous = reader.line_num
    return np.asarray(starts[header_lines:], dtype=np.int64)


def _set_lines(frame: pd.DataFrame, header_lines: int, lines: np.ndarray) -> None:
    """Record where rows are not on consecutive lines (blank lines, multi-line quoted fields), as the
    rows at which the offset from ``row + 1 + header_lines`` changes, for `_line`."""
    if len(lines) != len(frame):
        return
    extra = lines - (np.arange(len(frame)) + 1 + header_lines)
    if extra.any():
        changes = np.flatnonzero(np.r_[True, extra[1:] != extra[:-1]])
        # plain tuples: pandas compares attrs when it combines frames, which numpy arrays would break
        frame.attrs["line_offsets"] = (tuple(changes.tolist()), tuple(extra[changes].tolist()))


def line_number(frame: pd.DataFrame, position: int, header_lines: int) -> int:
    """The file line number of row ``position`` of a frame made by `read_delimited` (for builders that
    report their own errors)."""
    return _line(frame, position, header_lines)


def _line(frame: pd.DataFrame, position: int, header_lines: int) -> int:
    """The file line number of row ``position`` of a frame made by `read_delimited`."""
    return int(_lines(frame, np.array([position]), header_lines)[0])


def _lines(frame: pd.DataFrame, positions: np.ndarray, header_lines: int) -> np.ndarray:
    """The file line numbers of rows ``positions`` of a frame made by `read_delimited`."""
    lines = positions + 1 + header_lines
    if "line_offsets" in frame.attrs:
        rows, extra = frame.attrs["line_offsets"]
        k = np.searchsorted(rows, positions, side="right") - 1
        lines = lines + np.where(k >= 0, np.asarray(extra)[k], 0)
    return lines


def _fail(label: str, frame: pd.DataFrame, bad: np.ndarray, column: str, header_lines: int,
          what: str, fix: str) -> None:
    positions = np.flatnonzero(bad)
    first = positions[0]
    raise DataError(
        f"{label}: column '{column}' has {len(positions)} {what} value(s); first at line "
        f"{_line(frame, first, header_lines)}: {frame[column].iloc[first]!r}. {fix}"
    )


def ids(frame: pd.DataFrame, column: str, label: str, header_lines: int,
        integer: bool = False) -> pd.Series:
    """A non-empty string id column, stripped of surrounding spaces.

    ``integer=True`` (releases whose ids are integers, such as MovieLens) also rejects ids that are not
    made of digits, the sign of a shifted column or a stray header line; the ids stay strings.
    """
    values = frame[column].astype(str).str.strip().fillna("")  # a missing value (e.g. parquet null)
    bad = (values == "").to_numpy()
    if bad.any():
        _fail(label, frame, bad, column, header_lines, "empty", "Every row needs an id.")
    if integer:
        bad = ~values.str.fullmatch(r"[0-9]+").to_numpy(dtype=bool)
        if bad.any():
            _fail(label, frame, bad, column, header_lines, "non-integer",
                  f"The release's '{column}' ids are integers; check that the file is the original "
                  "one, with its columns in the release's order.")
    return values.astype(object)


def numbers(frame: pd.DataFrame, column: str, label: str, header_lines: int,
            dtype: type = np.float32) -> pd.Series:
    """A numeric column (ratings, integer ids); a non-numeric value raises ``DataError``."""
    values = pd.to_numeric(frame[column].astype(str).str.strip(), errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        _fail(label, frame, bad, column, header_lines, "non-numeric",
              f"'{column}' must be a number.")
    return values.astype(dtype)


UNIX_UNITS = {"unix": 1, "unix_ms": 10 ** 3, "unix_us": 10 ** 6, "unix_ns": 10 ** 9}  # per second
LATEST = pd.Timestamp("2100-01-01", tz="UTC")  # a later interaction time is a unit or format mistake


def timestamps(frame: pd.DataFrame, column: str, label: str, header_lines: int,
               fmt: str = "unix") -> pd.Series:
    """Convert a time column to int64 unix seconds (UTC).

    Args:
      fmt: ``"unix"`` (seconds, fractions floored), ``"unix_ms"``, ``"unix_us"``, ``"unix_ns"``, ``"iso"``
        (ISO 8601; naive times are read as UTC), ``"auto"``, or a ``strftime`` pattern such as
        ``"%Y-%m-%d %H"``. ``"auto"`` reads a column whose values are mostly numeric (so that a few bad
        values in a unix column are reported, not every good one) as unix time in the unit its median
        magnitude implies (below 1e11 seconds, 1e14 milliseconds, 1e17 microseconds, else
        nanoseconds: each bound is year 5138 in the smaller unit and 1973 in the larger), and any other
        column as ISO 8601.

    Raises:
      DataError: an unparsable value, or a time before 1970 or after 2099 (a wrong unit or format),
        naming the line.
    """
    raw = frame[column].astype(str).str.strip()
    if fmt == "auto":
        numeric = pd.to_numeric(raw, errors="coerce")
        fmt = "iso"
        if numeric.notna().mean() > 0.5:
            magnitude = float(numeric.abs().median())
            fmt = next(unit for unit, bound in (("unix", 1e11), ("unix_ms", 1e14), ("unix_us", 1e17),
                                                ("unix_ns", np.inf)) if magnitude < bound)
    if fmt in UNIX_UNITS:
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna().to_numpy()
        if bad.any():
            _fail(label, frame, bad, column, header_lines, "unparsable",
                  "Timestamps must be unix seconds (or the unit of the time format); pass the time "
                  "format if they are dates.")
        seconds = np.floor(values // UNIX_UNITS[fmt] if fmt != "unix" else values).astype(np.int64)
    else:
        kwargs = {"format": "ISO8601"} if fmt == "iso" else {"format": fmt}
        parsed = pd.to_datetime(raw, errors="coerce", utc=True, **kwargs)
        bad = parsed.isna().to_numpy()
        if bad.any():
            _fail(label, frame, bad, column, header_lines, "unparsable",
                  f"Expected timestamps in format {fmt!r}.")
        seconds = ((parsed - _EPOCH) // pd.Timedelta(seconds=1)).astype(np.int64)
    bad = ((seconds < 0) | (seconds >= int(LATEST.timestamp()))).to_numpy()
    if bad.any():
        _fail(label, frame, bad, column, header_lines, f"out-of-range (read as {fmt})",
              "Interaction times must lie between 1970 and 2099: check the time unit (unix seconds, "
              "unix_ms, unix_us, unix_ns) or the date format.")
    return seconds
