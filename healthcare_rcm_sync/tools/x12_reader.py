"""ASC X12 tokenizer: decoding, delimiter discovery and segment iteration.

This module knows nothing about 835 semantics; :mod:`.x12_835` builds on it. It has no Odoo
imports so it can be tested and benchmarked on its own.

The delimiters of each interchange are read from its ISA segment, which is fixed-width (106
characters including the segment terminator):

* the element separator is the 4th character (right after ``ISA``);
* the repetition separator is ISA11;
* the component (sub-element) separator is ISA16;
* the segment terminator is the character right after ISA16.

Nothing else is assumed: ``*``, ``~`` and ``:`` are only the most common choices. Line breaks
(CR, LF or CRLF) between segments are ignored, a UTF-8 byte order mark is tolerated, and each new
ISA may change the delimiters for the interchange it opens.

Problems that make the data unreadable as X12 (not X12 at all, a malformed ISA, an interchange
without IEA) raise :class:`X12ParseError`; everything else is left to the caller to validate.
"""

import re
from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["ISA_LENGTH", "Delimiters", "X12ParseError", "X12Reader", "decode", "split_composite"]

#: Length of an ISA segment, segment terminator included.
ISA_LENGTH = 106
#: Offsets of the 16 element separators inside a fixed-width ISA segment.
_ISA_SEPARATOR_OFFSETS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
#: Characters dropped around segments (optional line breaks between segments).
_LINE_BREAKS = "\r\n"
#: Characters tolerated at the very end of a file (padding, DOS end-of-file marker).
_TRAILING_JUNK = "\r\n\t \x00\x1a"
#: What a segment id looks like; anything else is not echoed in messages.
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")


def _label(segment_id):
    return segment_id if segment_id and _SEGMENT_ID.fullmatch(segment_id) else None


def _check_line_break_terminator(raw, terminator, position):
    """A line break as segment terminator, and a segment starting with a delimiter-like
    character: the file puts its terminator (``~``) at the start of the next line."""
    if terminator in _LINE_BREAKS and not raw[0].isalnum():
        raise X12ParseError(
            "the segment terminator is a line feed (the character after ISA16) and this line "
            f"starts with {raw[0]!r}: the file puts each segment's terminator at the start of "
            f"the next line; the terminator must end each segment (…{raw[0]} then the line "
            "break), the ISA included",
            position,
        )


class X12ParseError(ValueError):
    """The data cannot be read as X12 at all; nothing in it can be trusted.

    ``position`` is the 1-based ordinal of the segment where the problem was found (``None``
    when the data has no readable segment), ``segment_id`` its id when known.
    """

    def __init__(self, message, position=None, segment_id=None):
        self.message = message
        self.position = position
        self.segment_id = segment_id
        if position is not None:
            where = f"segment {position}" + (f" ({segment_id})" if segment_id else "")
            message = f"{where}: {message}"
        super().__init__(message)


class Delimiters(NamedTuple):
    """The delimiters of one interchange (``repetition`` is ``None`` before version 00501)."""

    element: str
    repetition: str | None
    component: str
    segment: str


def decode(data):
    """Return ``data`` (bytes or str) as text without a byte order mark.

    Bytes are decoded as UTF-8; data that is not valid UTF-8 is decoded as Latin-1 (X12 text is
    ASCII in practice, and Latin-1 maps every byte, so the ISA check that follows decides whether
    the data is X12).
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    elif isinstance(data, str):
        text = data
    else:
        raise X12ParseError(f"expected bytes or str, got {type(data).__name__}")
    text = text.removeprefix("\ufeff")
    return text


def split_composite(value, component):
    """Split a composite element (``HC:99213:25``) into its components."""
    return value.split(component) if value else []


def _read_isa(text, start, position):
    """Read the fixed-width ISA segment at ``start``; return ``(elements, delimiters, end)``."""
    header = text[start : start + ISA_LENGTH]
    if len(header) < ISA_LENGTH:
        raise X12ParseError(
            f"ISA segment is truncated: {len(header)} characters, {ISA_LENGTH} expected",
            position,
            "ISA",
        )
    element = header[3]
    misplaced = [off for off in _ISA_SEPARATOR_OFFSETS if header[off] != element]
    if misplaced or header.count(element) != len(_ISA_SEPARATOR_OFFSETS):
        raise X12ParseError(
            "ISA segment is not the fixed-width 106-character header: element separator "
            f"{element!r} is not found exactly at the 16 fixed offsets (first mismatch at "
            f"character {(misplaced or [0])[0] + 1})",
            position,
            "ISA",
        )
    repetition, component, terminator = header[82], header[104], header[105]
    if repetition.isalnum():
        # Before 005010, ISA11 was a standards identifier ("U"), not a repetition separator.
        repetition = None
    delimiters = Delimiters(element, repetition, component, terminator)
    used = [c for c in delimiters if c is not None]
    if len(set(used)) != len(used) or any(c.isalnum() or c == " " for c in used):
        raise X12ParseError(
            "ISA delimiters must be distinct characters other than letters, digits and space; "
            f"got element {element!r}, repetition {repetition!r}, component {component!r}, "
            f"segment {terminator!r}",
            position,
            "ISA",
        )
    elements = header[:-1].split(element)
    return elements, delimiters, start + ISA_LENGTH


class X12Reader:
    """Iterate the segments of X12 data lazily, interchange after interchange.

    Iterating yields ``(position, elements)`` tuples: ``position`` is the 1-based ordinal of the
    segment in the file and ``elements`` the list of its elements, ``elements[0]`` being the
    segment id (so ``elements[1]`` is, e.g., CLP01). Composite elements are left whole; split
    them with :func:`split_composite` and :attr:`delimiters`.

    :attr:`delimiters` always describes the interchange of the segment last yielded.
    The reader checks only what it needs to tokenize: the data starts with an ISA, every ISA is
    well formed, and the last interchange is closed by an IEA (else the file is truncated).
    """

    def __init__(self, data):
        self.text = decode(data).rstrip(_TRAILING_JUNK)
        stripped = self.text.lstrip(" \t\r\n")
        if not stripped:
            raise X12ParseError("empty input: no X12 interchange found")
        if not stripped.startswith("ISA"):
            # What the data starts with is not echoed: it may be anything, names included.
            raise X12ParseError("not an X12 interchange: data must start with an ISA segment", 1)
        self._start = len(self.text) - len(stripped)
        # Validate the first ISA eagerly so that garbage fails before any iteration.
        _, self.delimiters, _ = _read_isa(self.text, self._start, 1)
        self.segment_count = 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        text = self.text
        size = len(text)
        pos = self._start
        position = 0
        terminator = self.delimiters.segment
        separator = self.delimiters.element
        line_breaks = _LINE_BREAKS
        last_id = None
        while True:
            # Optional line breaks between segments.
            while pos < size and text[pos] in line_breaks:
                pos += 1
            if pos >= size:
                break
            if text.startswith("ISA", pos):
                position += 1
                elements, delimiters, pos = _read_isa(text, pos, position)
                self.delimiters = delimiters
                terminator, separator = delimiters.segment, delimiters.element
            else:
                end = text.find(terminator, pos)
                if end < 0:
                    end = size  # last segment without terminator: accepted
                raw = text[pos:end]
                pos = end + 1
                if raw and raw[-1] in line_breaks:  # CR before an LF terminator
                    raw = raw.rstrip(line_breaks)
                if not raw:  # empty segment ("~~"): nothing to read
                    continue
                position += 1
                _check_line_break_terminator(raw, terminator, position)
                elements = raw.split(separator)
            last_id = elements[0]
            self.segment_count = position
            yield position, elements
        if last_id != "IEA":
            label = _label(last_id)
            raise X12ParseError(
                "file is truncated: the last interchange is not closed by an IEA segment "
                f"(data ends after segment {position}" + (f", {label}" if label else "") + ")",
                position,
                label,
            )
