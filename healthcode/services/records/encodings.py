"""Which of UTF-8 and GBK a department's text is in, where its bytes read as both.

Many byte strings are valid in both: GBK's 一位 reads as "һλ" in UTF-8, its 濮红华
as "姺컪" (a CJK and a Hangul character), and UTF-8's José as "Jos茅" in GBK
(read as GB18030, its superset). Judging by the code points alone kept the first
two garbled (濮红华 needs three-byte UTF-8 characters, which Chinese text has) and
read the third as GBK. So each reading is scored by how unlike a department's
text it is (``oddness``), and the likelier one wins:

* Chinese characters of GB2312 (the 6,763 in everyday use) and Chinese punctuation
  cost nothing; a rarer Chinese character costs 20 (names use some: 喆, 堃).
* A Latin letter costs nothing in a word of Latin letters that holds an ASCII one
  (José, Müller); a letter of another script costs 3 in a word of two or more
  letters of that one script (Иванов: rarer in a department's file than Chinese,
  so GBK's 谢谢 is not read as "лл"). Alone, or in a word mixing scripts ("һλ",
  "ë"), a letter costs 30.
* A Chinese character glued to a Latin letter or a digit costs 10 more ("Jos茅").
* Four Chinese characters or more in a row whose bytes are, in UTF-8, one word of
  another script (all its letters of one script, in one case or capitalised) are
  that word misread: each costs 30. UTF-8's lowercase Cyrillic from а to п is GBK's
  everyday 懈胁邪…, so "иванов" read as GBK cost nothing; Greek and Latin letters
  (αθήνα, żółć) likewise. Two or three letters stay Chinese: GBK's 谢谢 is "лл",
  a name's doubled given name (魏伟伟, "κΰΰ") spells three.
* Common symbols (° · ① ℃ “ ”) cost nothing, other symbols 10, anything else 30.

Where both readings score the same, one without any character of GB2312's second
level (its less used 3,008) wins over one with some: GBK's reading of UTF-8 Chinese
always starts with one (UTF-8's leading bytes E4-E9 are rows of that level), so a
UTF-8 file of one short name (赵彬, GBK "璧靛浆") is not refused. Where both have
some, or neither, the bytes cannot tell: the sender names the encoding
(``Misread.ambiguous``).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import IO

from healthcode.domain.i18n import N_

SNIFF = 64 * 1024
_SCAN = 1024 * 1024  # how much of an ASCII start is read at once, looking past it
_CONTEXT = 256  # the bytes of its line kept before the first that is not ASCII
_NOT_ASCII = re.compile(rb"[\x80-\xff]")
# A stretch of text a reading can differ in: non-ASCII characters and the Latin
# letters and digits glued to them
# (starting only where a run of letters and digits starts: tried at each letter of a
# long ASCII run, the greedy run made a 200,000-character note take 90 s to read)
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z0-9]*[^\x00-\x7f]+(?:[A-Za-z0-9]+[^\x00-\x7f]+)*[A-Za-z0-9]*"
)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
# Symbols a Chinese office's text uses, beyond GB2312's Chinese punctuation
_COMMON = re.compile(
    r"[\u00b0\u00b7\u2010-\u2027\u2103\u2116\u2160-\u216b\u2460-\u249b\u3000-\u303f\uff01-\uff5e]"
)
# A row of ASCII, everyday Chinese and Chinese punctuation only (in GB2312: checked
# apart): read as UTF-8, nothing in it is odd, so no other reading is likelier
_PLAIN = re.compile(r"[\x00-\x7f\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e]*")
_RARE_HAN, _GLUED, _ODD_SYMBOL, _ODD, _FOREIGN = 20, 10, 10, 30, 3
_SPELLS_A_WORD = 4  # Chinese characters in a row spelling a word of another script
SAMPLE = 30  # characters of a cell quoted in a refusal
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
PROBE = 4096  # the bytes of a file's start that tell UTF-16 without its BOM
BOMLESS_UTF16 = N_(
    "The file is UTF-16 text without a byte order mark (BOM), so its byte order cannot "
    "be told for sure: save it from Excel as “Unicode Text” (which writes the BOM) or as "
    "“CSV UTF-8”, and send it again"
)


def first_text(stream: IO[bytes]) -> bytes:
    """Up to ``SNIFF`` bytes from the line of the first byte that is not ASCII (ASCII
    reads the same in UTF-8 and GBK, so it tells nothing: a file whose Chinese came
    after 64 KiB of ASCII was taken for UTF-8, and its GBK kept garbled), with the
    start of that line (the "Jos" of José tells its é from GBK's 茅); the stream
    rewound. Only the start that is ASCII is read twice, a chunk at a time."""
    try:
        before, chunk = b"", stream.read(SNIFF)
        while chunk:
            found = _NOT_ASCII.search(chunk)
            if found is not None:
                seen = before + chunk[: found.start()]
                line = seen[seen.rfind(b"\n") + 1 :][-_CONTEXT:]
                window = line + chunk[found.start() :]
                return window + stream.read(max(SNIFF - len(window), 0))
            before, chunk = chunk[-_CONTEXT:], stream.read(_SCAN)
        return b""
    finally:
        stream.seek(0)


def bomless_utf16(start: bytes) -> bool:
    """Whether a file's first bytes are UTF-16 text without a BOM: a NUL in one byte of
    many a pair (the high byte of ASCII: digits, tabs, line ends), seldom in the other
    (一, U+4E00, has one there). UTF-8 and GBK text holds no NUL, binary data holds them
    in both bytes alike. Read as UTF-8 or GBK, such a file was one garbled column, its
    rows "lacking" every column; and its byte order would be a guess."""
    if start.startswith(UTF16_BOMS):
        return False
    head = start[:PROBE]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    most, fewest = max(even, odd), min(even, odd)
    return most >= max(len(head) // 16, 2) and fewest * 4 <= most


@dataclass(frozen=True)
class Guess:
    encoding: str  # utf-8-sig, utf-16, utf-8 or gb18030
    sure: bool  # False: both readings were as likely, UTF-8 taken


def detect_encoding(head: bytes) -> Guess:
    """UTF-8 or UTF-16 (either byte order: Excel's "Unicode text") by their BOM,
    else UTF-8 or GB18030 (a superset of GBK and GB2312), as most of the lines of
    ``head`` read: in the one they are valid in, or where both are, the likelier
    reading (``oddness``). By lines, not the whole: one line of the other encoding (a
    file put together from two) does not outweigh the rest. The window's last line
    may end inside a character: it is judged without it. (``head`` starts a line; no
    line of UTF-8 or GBK starts with a UTF-16 BOM, neither has the byte FF.)"""
    if head.startswith(codecs.BOM_UTF8):
        return Guess("utf-8-sig", True)
    if head.startswith(UTF16_BOMS):
        return Guess("utf-16", True)  # the codec reads the BOM for the byte order
    votes = {"utf-8": 0, "gb18030": 0}
    not_utf8 = False  # a line is not UTF-8: if nothing tells, GBK is named in refusals
    lines = head.split(b"\n")
    for number, line in enumerate(lines):
        if line.isascii():
            continue
        last = number == len(lines) - 1
        read = {name: _read(line, name, last) for name in votes}
        if read["utf-8"] is None or read["gb18030"] is None:
            not_utf8 = not_utf8 or read["utf-8"] is None
            valid = "utf-8" if read["utf-8"] is not None else "gb18030"
            votes[valid] += read[valid] is not None
            continue
        scores = {name: likeness(text) for name, text in read.items() if text is not None}
        if scores["utf-8"] != scores["gb18030"]:
            votes[min(scores, key=scores.__getitem__)] += 1
    if votes["gb18030"] > votes["utf-8"] or (not_utf8 and votes["gb18030"] == votes["utf-8"]):
        return Guess("gb18030", True)
    return Guess("utf-8", votes["utf-8"] > votes["gb18030"] or head.isascii())


def _read(line: bytes, encoding: str, last: bool) -> str | None:
    """The line in ``encoding``; None if it is not valid there."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(line, final=not last)
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class Misread:
    """A cell that reads likelier (or as likely) in the other encoding."""

    index: int  # the cell's place in its row
    read: str  # as read
    other: str  # as the other encoding reads it
    ambiguous: bool  # as likely both ways: only the sender can tell


def misread(text: str, cells: list[str], encoding: str, sure: bool) -> Misread | None:
    """The first cell of a row (``text``, its ``cells`` joined, read as ``encoding``:
    UTF-8 or GB18030) whose bytes read likelier in the other encoding; or as likely,
    when the file's encoding was a guess (not ``sure``). Most rows are passed by a
    check in C: UTF-8 of everyday Chinese, GBK whose bytes are not UTF-8."""
    if text.isascii():
        return None
    mine, other = _codecs(encoding)
    if mine == "utf-8":
        if sure and _PLAIN.fullmatch(text) is not None and _everyday(text):
            return None
        data = text.encode(mine, "surrogateescape")
    elif _not_utf8_start().search(text) is not None:
        return None
    else:
        data = text.encode(mine, "surrogateescape")
    try:
        theirs = data.decode(other)
    except UnicodeDecodeError:
        return None
    ours, their_score = likeness(text), likeness(theirs)
    if their_score > ours or (their_score == ours and sure):
        return None
    for index, cell in enumerate(cells):
        other_cell = cell.encode(mine, "surrogateescape").decode(other, "replace")
        if other_cell != cell:
            return Misread(index, _sample(cell), _sample(other_cell), their_score == ours)
    return None  # unreachable: the row differs, so a cell does


def _everyday(text: str) -> bool:
    """Every character is in GB2312 (or ASCII)."""
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


@cache
def _not_utf8_start() -> re.Pattern[str]:
    """A stretch of GBK text whose first character's bytes cannot begin UTF-8: its
    first byte is not one that starts a UTF-8 character (most of everyday Chinese:
    B0-C1), or its second not one that continues it. Read as GBK, a row holding one
    is not UTF-8, found without encoding it (GB18030's encoder is slow)."""
    starts = set()
    for lead in range(0xC2, 0xF5):
        for trail in range(0x80, 0xC0):
            try:
                starts.add(bytes((lead, trail)).decode("gbk"))
            except UnicodeDecodeError:
                continue
    allowed = "".join(sorted(starts))
    return re.compile(f"(?:^|[\\x00-\\x7f])[^\\x00-\\x7f{re.escape(allowed)}]")


@cache
def _codecs(encoding: str) -> tuple[str, str]:
    """The encoding a row was read in and the other one it may be."""
    name = codecs.lookup(encoding).name
    return ("utf-8", "gb18030") if name in ("utf-8", "utf-8-sig") else (name, "utf-8")


def likeness(text: str) -> tuple[int, int]:
    """How unlike a department's text ``text`` is, compared in order: its
    ``oddness``, then whether it holds a character of GB2312's second level (only
    where the oddness is equal: a tie-break, never outweighing an odd character; a
    count would read UTF-8's 缳粲, two such characters, as GBK's 缂崇膊, one)."""
    second = _second()
    return oddness(text), int(any(char in second for char in _HAN_BASIC.findall(text)))


# a Chinese character of the basic block, where GB2312's are
_HAN_BASIC = re.compile(r"[\u4e00-\u9fff]")


@cache
def _second() -> frozenset[str]:
    """GB2312's second level (rows D8-F7): its less used characters."""
    return _gb2312() - _gb2312_rows(0xB0, 0xD8)


def _gb2312_rows(first: int, end: int) -> frozenset[str]:
    found = set()
    for lead in range(first, end):
        for trail in range(0xA1, 0xFF):
            try:
                found.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(found)


def oddness(text: str) -> int:
    """How unlike a department's text ``text`` is (see the module's docstring)."""
    score = 0
    for token in _TOKEN.finditer(text):
        score += _token_oddness(token.group())
    return score


def _token_oddness(token: str) -> int:
    score = sum(_ODD * len(run) for run in _spelled_words(token))
    run: list[str] = []  # the letters of a word in a script other than Chinese
    for at, char in enumerate(token):
        if _HAN.match(char):
            score += _word_oddness(run)
            run = []
            score += 0 if char in _gb2312() else _RARE_HAN
            before = token[at - 1] if at else ""
            after = token[at + 1] if at + 1 < len(token) else ""
            if (before.isascii() and before.isalnum()) or (after.isascii() and after.isalnum()):
                score += _GLUED
        elif unicodedata.category(char)[0] in "LM":
            run.append(char)
        else:
            score += _word_oddness(run)
            run = []
            if not char.isascii():
                score += _symbol_oddness(char)
    return score + _word_oddness(run)


def _word_oddness(word: list[str]) -> int:
    """What the letters of a word that are not ASCII cost: nothing in a Latin word
    holding an ASCII letter, ``_FOREIGN`` each in a word of two or more letters of
    another script, ``_ODD`` each otherwise."""
    foreign = sum(1 for c in word if not c.isascii())
    if not foreign:
        return 0
    scripts = {_script(c) for c in word if unicodedata.category(c) != "Mn"}
    if len(scripts) != 1 or unicodedata.category(word[0]) == "Mn":
        return _ODD * foreign
    if scripts == {"LATIN"}:
        return 0 if foreign < len(word) else _ODD * foreign
    return _FOREIGN * foreign if len(word) >= 2 else _ODD * foreign


def _spelled_words(token: str) -> list[str]:
    """The runs of Chinese characters in ``token`` that are, byte for byte, a word
    of another script written in UTF-8 (``_letters``): that word read as GBK."""
    letters = _letters()
    found = []
    for run in _spelling_runs().findall(token):
        word = "".join(letters[char] for char in run)
        if _one_word(word):
            found.append(run)
    return found


def _one_word(word: str) -> bool:
    """Letters of one script (marks over them: that script's, or the shared
    combining ones), starting with a letter, in one case or capitalised."""
    if unicodedata.category(word[0]) not in ("Lu", "Ll", "Lo"):
        return False
    scripts = set()
    for char in word:
        kind = unicodedata.category(char)
        if kind[0] == "M" and "\u0300" <= char <= "\u036f":
            continue  # a combining accent, of any Latin, Greek or Cyrillic letter
        if kind not in ("Lu", "Ll", "Lo", "Mn"):
            return False  # a modifier letter, a symbol
        scripts.add(_script(char))
    cased = any(c.isupper() or c.islower() for c in word)
    return len(scripts) == 1 and (not cased or word.islower() or word.isupper() or word.istitle())


@cache
def _letters() -> dict[str, str]:
    """The Chinese characters whose two GBK bytes are one letter (or mark) in UTF-8,
    with that letter: GB2312's rows C2-DF hold the two-byte UTF-8 of Latin, Greek,
    Cyrillic, Hebrew, Arabic and more."""
    found = {}
    for lead in range(0xC2, 0xE0):
        for trail in range(0x80, 0xC0):
            pair = bytes((lead, trail))
            try:
                han, letter = pair.decode("gb18030"), pair.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if _HAN.match(han) and unicodedata.category(letter)[0] in "LM":
                found[han] = letter
    return found


@cache
def _spelling_runs() -> re.Pattern[str]:
    """``_SPELLS_A_WORD`` or more characters of ``_letters`` in a row."""
    chars = "".join(sorted(_letters()))
    return re.compile(f"[{re.escape(chars)}]{{{_SPELLS_A_WORD},}}")


def _script(char: str) -> str:
    """A letter's script, by its Unicode name's first word (LATIN, CYRILLIC, GREEK…);
    kana as one script."""
    word = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    return "KANA" if word in ("HIRAGANA", "KATAKANA") else word


def _symbol_oddness(char: str) -> int:
    if _COMMON.match(char):
        return 0
    return _ODD_SYMBOL if char in _gb2312() or unicodedata.category(char)[0] in "PSNZ" else _ODD


@cache
def _gb2312() -> frozenset[str]:
    """The characters of GB2312: those of everyday Chinese text."""
    return _gb2312_rows(0xA1, 0xF8)


def _sample(cell: str) -> str:
    """A cell as a refusal may quote it: short, and printable."""
    text = "".join(c if c.isprintable() else "\ufffd" for c in cell.strip())
    return text if len(text) <= SAMPLE else text[: SAMPLE - 1] + "…"
