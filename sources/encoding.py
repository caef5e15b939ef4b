"""Character-encoding detection for agency text deliveries (CSV exports, Shapefile .dbf text).

Agency systems export GBK/GB18030 as often as UTF-8, and nothing in a CSV says which. A wrong guess
does not fail loudly: it yields a column of mojibake. So detection is strict (every byte must decode)
and the decoded header must look like a header a Chinese system writes; anything else is refused.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections import Counter
from pathlib import Path

from sources.errors import DeliveryError

# Tried in this order. UTF-8 first: GB18030 accepts almost any byte pairs, so UTF-8 text would "decode"
# as GB18030 gibberish, while GBK text is essentially never valid UTF-8.
TEXT_ENCODINGS = ("UTF-8-SIG", "UTF-8", "GB18030")

_ALLOWED_PUNCTUATION = set("（）【】《》〈〉「」『』、，。：；！？“”‘’—…·～％＃＆＋－／＿　")


def suspicious_characters(text: str, *, strict_cjk: bool = False) -> list[str]:
    """Characters that do not belong in Chinese/ASCII text and betray a wrong decoding (mojibake).

    Rejects control characters (UTF-16 read as UTF-8 is full of NULs), the replacement character, the
    private-use area (where GB18030 puts its user-defined byte ranges) and anything that is not ASCII,
    CJK or common CJK punctuation. With `strict_cjk`, CJK characters must also be in GB2312: header words
    use common characters, whereas other encodings' bytes read as GBK land in the rare GBK extension rows.
    """
    bad: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch in "\t\r\n":
            continue
        if code < 0x20 or code == 0x7F:
            bad.append(ch)
        elif code < 0x7F:
            continue
        elif ch in _ALLOWED_PUNCTUATION or 0x3000 <= code <= 0x303F or 0xFF01 <= code <= 0xFF5E:
            continue
        elif 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
            if strict_cjk:
                try:
                    ch.encode("gb2312")
                except UnicodeEncodeError:
                    bad.append(ch)
        else:
            bad.append(ch)
    return bad


def misdecoded_reason(text: str) -> str | None:
    """Why free text (attribute values, not headers) looks mis-decoded as GB18030, or None if it looks fine.

    Values may legitimately hold symbols (Ⅱ, ㎡, ①), so only hard evidence counts: control characters,
    the replacement character, private-use characters, or CJK text that is mostly outside GB2312 — real
    Chinese names and addresses are overwhelmingly common characters, whereas Latin-1 or Shift-JIS bytes
    read as GBK fall into the rare extension rows.
    """
    counts = Counter(text)  # a whole .dbf can be megabytes: judge each distinct character once
    hard = [
        ch for ch in counts
        if (ord(ch) < 0x20 and ch not in "\t\r\n\x00") or ch == "\ufffd" or 0xE000 <= ord(ch) <= 0xF8FF
    ]  # fmt: skip
    if hard:
        return f"unexpected characters ({_describe(hard)})"
    cjk = rare = 0
    rare_chars = []
    for ch, n in counts.items():
        if 0x4E00 <= ord(ch) <= 0x9FFF or 0x3400 <= ord(ch) <= 0x4DBF:
            cjk += n
            try:
                ch.encode("gb2312")
            except UnicodeEncodeError:
                rare += n
                rare_chars.append(ch)
    if rare * 3 > cjk:
        sample = "".join(rare_chars[:8])
        return f"{rare} of {cjk} Chinese characters are rare ones ({sample}…), typical of mojibake"
    return None


# Encodings a vendor's export may have applied to bytes of another: UTF-8 bytes read as GBK or as a
# Western code page, GBK bytes read as a Western code page.
_MISREAD_AS = (("gb18030", "utf-8"), ("cp1252", "utf-8"), ("latin-1", "utf-8"), ("cp1252", "gb18030"),
               ("latin-1", "gb18030"))  # fmt: skip


def _has_cjk(text: str) -> bool:
    return any(0x4E00 <= ord(ch) <= 0x9FFF or 0x3400 <= ord(ch) <= 0x4DBF for ch in text)


def repaired_mojibake(value: str) -> str | None:
    """The Chinese text `value` was before a wrong decoding turned it into mojibake, or None.

    Hard evidence only: the value's characters, encoded back with the encoding that misread them, form
    a strictly valid byte sequence of the true encoding that decodes to more Chinese than the value holds
    (南湖区 read as cp1252 is å�—æ¹–åŒº; UTF-8 read as GBK is 鍗楁箹鍖). Real Chinese text essentially never
    survives such a round trip: GBK bytes of Chinese are almost never valid UTF-8.
    """
    if value.isascii():
        return None
    cjk_before = sum(1 for ch in value if 0x4E00 <= ord(ch) <= 0x9FFF)
    for misread, true in _MISREAD_AS:
        if misread == "gb18030" and not _has_cjk(value):
            continue
        try:
            repaired = value.encode(misread).decode(true)
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if repaired != value and _has_cjk(repaired) and not suspicious_characters(repaired):
            cjk_after = sum(1 for ch in repaired if 0x4E00 <= ord(ch) <= 0x9FFF)
            if misread != "gb18030" or cjk_after < cjk_before:  # UTF-8 → GBK mojibake is longer
                return repaired
    return None


def values_mojibake_reason(values: list[str]) -> str | None:
    """Why distinct text values of one field look mis-decoded, or None: the characters of a wrong decoding
    (misdecoded_reason), or values that decode back to Chinese (repaired_mojibake)."""
    problem = misdecoded_reason("\n".join(values))
    if problem:
        return problem
    examples = [(value, fixed) for value in values if (fixed := repaired_mojibake(value)) is not None]
    if not examples:
        return None
    value, fixed = examples[0]
    return f"{len(examples)} value(s) read back as Chinese when re-decoded, e.g. {value!r} was {fixed!r}"


def _describe(chars: list[str]) -> str:
    shown = []
    for ch in dict.fromkeys(chars):
        name = unicodedata.name(ch, "unnamed")
        shown.append(f"U+{ord(ch):04X} {name}")
        if len(shown) == 3:
            break
    return ", ".join(shown)


def truncated_encoding(data: bytes) -> str | None:
    """The encoding in which `data` is valid text cut inside its last character, or None.

    A file cut in transfer ends with the first bytes of a multi-byte character: strict decoding fails at
    the very end only, where a wrongly guessed encoding fails early."""
    for encoding in ("utf-8", "gb18030"):
        try:
            data.decode(encoding, errors="strict")
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data" or (
                exc.end >= len(data) and exc.start >= len(data) - 3 and exc.start > 0
            ):
                try:
                    data[: exc.start].decode(encoding, errors="strict")
                except UnicodeDecodeError:
                    continue
                return "UTF-8" if encoding == "utf-8" else "GBK"
    return None


def decode_text_file(path: Path) -> tuple[str, str]:
    """Decode a delivered CSV/text file; return (text, encoding) with encoding UTF-8-SIG, UTF-8 or GB18030.

    Raises `DeliveryError` naming the file and every encoding tried when no encoding decodes it strictly
    to a plausible header (first line): better a refused delivery than mojibake column names.
    """
    path = Path(path)
    data = path.read_bytes()
    attempts: list[str] = []
    for encoding in TEXT_ENCODINGS:
        if encoding == "UTF-8-SIG" and not data.startswith(codecs.BOM_UTF8):
            continue
        if encoding == "UTF-8" and data.startswith(codecs.BOM_UTF8):
            continue
        try:
            text = data.decode(encoding.lower(), errors="strict")
        except UnicodeDecodeError as exc:
            attempts.append(
                f"{encoding}: invalid byte {data[exc.start : exc.start + 1]!r} at offset {exc.start}"
            )
            continue
        header = text.split("\n", 1)[0]
        bad = suspicious_characters(header, strict_cjk=encoding == "GB18030")
        if bad:
            attempts.append(f"{encoding}: header decodes to unexpected characters ({_describe(bad)})")
            continue
        return text, encoding
    cut = truncated_encoding(data)
    if cut:
        raise DeliveryError(
            f"{path.name}: the file ends inside a {cut} character: it is truncated (cut off in transfer or "
            "export); deliver the complete file again",
            source_file=str(path),
            rule_id="LOAD",
        )
    raise DeliveryError(
        f"{path.name}: cannot determine the character encoding; tried "
        + "; ".join(attempts)
        + ". Re-export the file as UTF-8 or GBK.",
        source_file=str(path),
        rule_id="LOAD",
    )
