"""Resumes: accept an upload, tell what it really is, extract its text and the skills it mentions.

Everything here works on bytes already in memory and never touches a path: the caller stores the
bytes through a :class:`rolecall.platform.storage.FileStore`, which picks the key itself.

**What is accepted.** PDF, Word (DOCX) and plain UTF-8 text, up to :data:`MAX_RESUME_BYTES`. The
type is decided by :func:`sniff` from the content (magic bytes and structure), never from a file
name or a client-sent content type, so an executable renamed ``cv.pdf`` or an arbitrary ZIP renamed
``cv.docx`` is refused. Every refusal is a :class:`ResumeRejected` whose message is safe to show to
the applicant and whose ``code`` is stable for APIs and metrics.

**Hostile input.** A DOCX is a ZIP: its central directory is checked (entry count, total declared
uncompressed size, no duplicate names, only stored or deflated members) before anything is
decompressed, so an honest zip bomb is refused without being expanded. A member that lies about
its size is caught too: members are inflated in bounded chunks, never past their declared size,
and python-docx only ever sees a re-packed copy of exactly those bytes (``ZipFile.read`` itself
would inflate a lying member completely before truncating it). python-docx parses XML with entity
resolution off. PDFs go through pypdf, which caps decompressed stream sizes itself;
on top of that the page count and the amount of extracted text are capped.

**Threads.** :func:`sniff`, :func:`extract_text`, :func:`extract_skills` and :func:`parse_resume`
are synchronous and CPU-bound (tens to hundreds of milliseconds for a long PDF). Async callers
must run them off the event loop, e.g. ``await anyio.to_thread.run_sync(parse_resume, data)``.
They keep no shared mutable state besides the taxonomy's own memo, so concurrent calls are safe.
The parsers are pure Python and hold the GIL, so a thread keeps the loop responsive but does not
add CPU; a process pool is the next step if resume parsing ever dominates a node.

**Skills.** :func:`extract_skills` finds canonical skills of the role-profile taxonomy in the text;
see its docstring for the matching rules and the guards against false positives. A proficiency
stated right next to a mention ("Kubernetes (expert)", "5 years of Go") and the total years of
experience are read by :mod:`rolecall.candidates.proficiency`, which owns those rules.

**Import exception.** This module imports :mod:`rolecall.roles.taxonomy` directly (not through
``rolecall.roles.service``): the taxonomy is the one owner of skill normalisation ("nothing else
may re-implement it"), it is pure data plus functions with no database or request state, and
skills must be extracted with exactly the rules role profiles are written with.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

from rolecall.candidates import proficiency
from rolecall.platform.clock import utcnow
from rolecall.roles.taxonomy import Skill, SkillTaxonomy, default_taxonomy, normalise_key

ResumeKind = Literal["pdf", "docx", "text"]

MAX_RESUME_BYTES: Final = 5 * 1024 * 1024
MAX_PDF_PAGES: Final = 50
#: About 75 dense pages (4,000 characters each), so any PDF within the page cap fits; longer
#: extracted text is refused rather than silently truncated.
MAX_TEXT_CHARS: Final = 300_000
#: A resume DOCX has a few dozen parts; thousands means something else, or an attack.
MAX_DOCX_ENTRIES: Final = 1_000
#: Total declared uncompressed size of all DOCX parts (XML compresses ~10x, images hardly at all).
MAX_DOCX_UNCOMPRESSED_BYTES: Final = 32 * 1024 * 1024

CONTENT_TYPES: Final[dict[ResumeKind, str]] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text": "text/plain; charset=utf-8",
}

RejectionCode = Literal[
    "empty",
    "too_large",
    "unsupported_type",
    "encrypted",
    "corrupt",
    "too_complex",
    "too_many_pages",
    "too_much_text",
]


class ResumeRejected(ValueError):
    """The upload cannot be used as a resume. ``str(error)`` is safe to show to the applicant."""

    def __init__(self, code: RejectionCode, message: str) -> None:
        super().__init__(message)
        self.code: RejectionCode = code
        self.message = message

    def __reduce__(self) -> tuple[type[ResumeRejected], tuple[RejectionCode, str]]:
        # Survives pickling, so parsing can move to a process pool without changing callers.
        return (type(self), (self.code, self.message))


_UNSUPPORTED = "Unsupported file type: upload a PDF, a Word document (DOCX) or a plain-text file."


def _unsupported(message: str = _UNSUPPORTED) -> ResumeRejected:
    return ResumeRejected("unsupported_type", message)


# -- sniffing ---------------------------------------------------------------------------------

_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc, and password-protected DOCX
_UTF8_BOM = b"\xef\xbb\xbf"
_DOCX_MAIN_CONTENT_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_MAX_CONTENT_TYPES_XML = 256 * 1024
# C0 and C1 control characters other than tab, line feed, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_RATIO = 0.01
# Text formats that decode as UTF-8 but are markup, not a resume's words.
_MARKUP_PREFIXES = (b"{\\rtf", b"<!doctype", b"<html", b"<?xml", b"<svg")


def sniff(data: bytes) -> ResumeKind:
    """What the bytes are: ``"pdf"``, ``"docx"`` or ``"text"``; :class:`ResumeRejected` otherwise.

    * PDF: starts with ``%PDF-``.
    * DOCX: a ZIP whose directory lists ``[Content_Types].xml`` declaring the WordprocessingML main
      document and ``word/document.xml``, within the entry-count and uncompressed-size caps. Any
      other ZIP (ODT, XLSX, a renamed archive) is refused.
    * Text: valid UTF-8 (a BOM is allowed) without NUL bytes and with at most 1% control
      characters; RTF, HTML, XML and SVG are refused even though they are text.
    """
    _check_size(data)
    if data.startswith(_PDF_MAGIC):
        return "pdf"
    if data.startswith(_ZIP_MAGIC):
        _open_docx_zip(data).close()
        return "docx"
    if data.startswith(_OLE2_MAGIC):
        raise _unsupported(
            "Legacy Word (.doc) files and password-protected Office documents are not supported: "
            "save the resume as DOCX without a password, or as PDF."
        )
    _decode_text(data)
    return "text"


def _check_size(data: bytes) -> None:
    if not data:
        raise ResumeRejected("empty", "The file is empty.")
    if len(data) > MAX_RESUME_BYTES:
        raise ResumeRejected(
            "too_large", f"The file is larger than the {MAX_RESUME_BYTES // (1024 * 1024)} MB limit."
        )


def _open_docx_zip(data: bytes) -> zipfile.ZipFile:
    """Open a DOCX's ZIP after checking its directory; nothing is decompressed before the checks."""
    not_docx = _unsupported("The file is a ZIP archive, not a Word document (DOCX).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # BadZipFile, struct.error, ValueError ...: a damaged directory, whatever the type
        raise _damaged_zip() from None
    try:
        members = archive.infolist()
        if len(members) > MAX_DOCX_ENTRIES:
            raise ResumeRejected("too_complex", "The Word document is too large or complex to process.")
        if sum(member.file_size for member in members) > MAX_DOCX_UNCOMPRESSED_BYTES:
            raise ResumeRejected("too_complex", "The Word document is too large or complex to process.")
        names = {member.filename for member in members}
        if len(names) != len(members) or any(not _plain_member(member) for member in members):
            # Duplicate names let two parsers see two different documents; Word itself only
            # writes stored or deflated, unencrypted members.
            raise _damaged_zip()
        if "[Content_Types].xml" not in names or "word/document.xml" not in names:
            raise not_docx
        types_info = archive.getinfo("[Content_Types].xml")
        if types_info.file_size > _MAX_CONTENT_TYPES_XML:
            raise not_docx
        try:
            content_types = _read_capped(archive, types_info)
        except Exception:  # bad CRC, truncated data
            raise _damaged_zip() from None
        # A macro-enabled document (.docm) or a template (.dotx) declares a different main type.
        if _DOCX_MAIN_CONTENT_TYPE not in content_types:
            raise not_docx
    except BaseException:
        archive.close()
        raise
    return archive


def _damaged_zip() -> ResumeRejected:
    return ResumeRejected(
        "corrupt", "The file looks like a ZIP archive or Word document but is damaged and could not be read."
    )


def _plain_member(member: zipfile.ZipInfo) -> bool:
    return member.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) and not member.flag_bits & 0x1


_CHUNK = 64 * 1024


def _read_capped(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """A member's bytes, inflated in bounded chunks.

    ``ZipFile.read`` inflates a deflated member in a single call and only then cuts it to the
    declared size, so a member that lies about its size would be fully inflated first. Reading in
    chunks never holds more than the declared size plus one chunk, and ``zipfile`` stops at the
    declared size (a lie then fails the CRC check with ``BadZipFile``).
    """
    parts: list[bytes] = []
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            parts.append(chunk)
    return b"".join(parts)


def _honest_copy(archive: zipfile.ZipFile) -> bytes:
    """Re-pack the (already checked) archive as stored members of exactly the sizes read.

    python-docx reads parts with ``ZipFile.read``; handing it this copy, rather than the upload,
    means no member can inflate past what was read here under :func:`_read_capped`'s bounds.
    """
    out = io.BytesIO()
    total = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        for member in archive.infolist():
            if member.is_dir():
                continue
            content = _read_capped(archive, member)
            total += len(content)
            if total > MAX_DOCX_UNCOMPRESSED_BYTES:  # unreachable while zipfile honours sizes
                raise ResumeRejected("too_complex", "The Word document is too large or complex to process.")
            copy.writestr(member.filename, content)
    return out.getvalue()


def _decode_text(data: bytes) -> str:
    if b"\x00" in data:
        raise _unsupported()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _unsupported() from None
    text = text.removeprefix(_UTF8_BOM.decode("utf-8"))
    if len(_CONTROL.findall(text)) > _MAX_CONTROL_RATIO * len(text):
        raise _unsupported()
    head = text[:64].lstrip().encode("utf-8").lower()
    if head.startswith(_MARKUP_PREFIXES):
        raise _unsupported()
    return text


# -- text extraction --------------------------------------------------------------------------


def extract_text(data: bytes, kind: ResumeKind) -> str:
    """The document's text with whitespace normalised; CPU-bound, run it in a worker thread.

    ``kind`` must come from :func:`sniff`; the container checks are repeated here anyway, so a
    wrong ``kind`` yields :class:`ResumeRejected`, never an unchecked parse. A PDF without a text
    layer (a scan) gives an empty string: that is not an error, the file is still a resume.
    Headers and footers of a DOCX are not included (they hold contact lines, rarely skills).
    """
    _check_size(data)
    if kind == "pdf":
        if not data.startswith(_PDF_MAGIC):
            raise _unsupported()
        raw = _pdf_text(data)
    elif kind == "docx":
        raw = _docx_text(data)
    elif kind == "text":
        raw = _decode_text(data)
    else:
        raise ValueError(f"unknown resume kind {kind!r}")
    text = normalise_whitespace(raw)
    if not text and kind == "text":
        raise ResumeRejected("empty", "The file is empty.")
    _check_text_length(text)
    return text


def _check_text_length(text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise _too_much_text()


def _too_much_text() -> ResumeRejected:
    return ResumeRejected(
        "too_much_text", f"The document contains too much text (more than {MAX_TEXT_CHARS:,} characters)."
    )


def _damaged_pdf() -> ResumeRejected:
    return ResumeRejected("corrupt", "The PDF file is damaged and could not be read.")


def _pdf_text(data: bytes) -> str:
    try:
        # Imported on first use rather than at start-up: about a tenth of a second off every API start.
        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        # pypdf already tried the empty user password; an "encrypted" PDF that opens with it
        # (owner-password restrictions only, common from some CV builders) is readable by anyone.
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            raise ResumeRejected(
                "encrypted", "The PDF is password-protected: upload a copy without a password."
            )
        page_count = len(reader.pages)
    except ResumeRejected:
        raise
    except Exception:  # any parser failure on untrusted bytes means "damaged", whatever its type
        raise _damaged_pdf() from None
    if page_count == 0:
        raise _damaged_pdf()
    if page_count > MAX_PDF_PAGES:
        raise ResumeRejected("too_many_pages", f"The PDF has more than {MAX_PDF_PAGES} pages.")
    parts: list[str] = []
    length = 0
    try:
        for page in reader.pages:
            page_text = page.extract_text() or ""
            length += len(page_text)
            # Stop early on a runaway page. Whitespace normalisation afterwards only ever shortens
            # the text, so this generous raw cap cannot refuse a document that would pass.
            if length > 4 * MAX_TEXT_CHARS:
                raise _too_much_text()
            parts.append(page_text)
    except ResumeRejected:
        raise
    except Exception:
        raise _damaged_pdf() from None
    return "\n\n".join(parts)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_W_T, _W_TAB, _W_BR, _W_CR, _W_P, _W_TC = (f"{_W}{n}" for n in ("t", "tab", "br", "cr", "p", "tc"))
_LINE_BREAKING = frozenset({_W_P, _W_TC, _W_BR, _W_CR})


def _docx_text(data: bytes) -> str:
    archive = _open_docx_zip(data)  # the directory checks, before anything is inflated
    try:
        honest = _honest_copy(archive)
    except ResumeRejected:
        raise
    except Exception:  # a bad CRC (a member lying about its size), truncated data
        raise _damaged_zip() from None
    finally:
        archive.close()
    try:
        import docx  # on first use, like pypdf above

        document = docx.Document(io.BytesIO(honest))
        body = document.element.body
        return "".join(_body_text(body))
    except ResumeRejected:
        raise
    except Exception:  # python-docx, lxml and zipfile each raise their own types on bad input
        raise ResumeRejected("corrupt", "The Word document is damaged and could not be read.") from None


def _body_text(body: Any) -> Iterator[str]:
    """Text of the body's paragraphs, tables and text boxes, in document order.

    Walks the WordprocessingML tree rather than ``document.paragraphs`` so that table cells,
    content controls, tracked insertions and text boxes are included. ``mc:Fallback`` subtrees
    are skipped: they repeat a text box's content for older readers. Iterative, so a deeply
    nested document cannot exhaust the Python stack.
    """
    stack: list[Any] = [body]
    while stack:
        element = stack.pop()
        tag = element.tag
        if tag == _W_T:
            yield element.text or ""
        elif tag in _LINE_BREAKING:
            yield "\n"
        elif tag == _W_TAB:
            yield "\t"
        elif tag == _MC_FALLBACK:
            continue
        stack.extend(reversed(element))


# Soft hyphen, zero-width space/joiners, word joiner and BOM: invisible, and they split words.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalise_whitespace(text: str) -> str:
    """Unify line ends, drop control and invisible characters, collapse spaces and blank lines.

    Control characters go because they are meaningless in a resume and PostgreSQL ``text`` cannot
    even store a NUL. Each line is stripped and its inner whitespace collapsed to one space; more
    than one blank line in a row becomes one.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", _CONTROL.sub(" ", text))
    text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


# -- skills -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SkillMention:
    """A canonical skill found in a text: how often, the first way it was written, and the
    proficiency (1-5) stated next to it, or ``None`` when no mention states one."""

    skill: Skill
    count: int
    surface: str
    proficiency: int | None = None

    @property
    def skill_id(self) -> str:
        return self.skill.id


_MAX_WINDOW = 4
# A token as the taxonomy's normaliser sees one: letters and digits plus "+" and "#" (C++, C#).
_TOKEN = re.compile(r"(?:[^\W_]|[+#])+")
# Between two tokens, any of these ends a phrase: a skill never spans a list comma, a colon, a
# bracket, a bullet or a sentence end (". "). A "." inside a word (Node.js, ASP.NET, 3.12), "/"
# (CI/CD), "-" and "&" do not.
_HARD_GAP = re.compile(
    # also typographic quotes, bullets, the middle dot and en and em dashes (as escapes)
    '[,;:|()\\[\\]{}<>!?"\u201c\u201d\u2018\u2019\u2022\u00b7\u25aa\u25cf\u25e6\u25a0\u25a1\u2013\u2014]'
    r"|\.\s|\t"
)
# Function words: an ESCO match may not begin or end with one. ESCO has labels such as "have
# computer literacy" or "be fluent in czech" that only ever match inside ordinary sentences.
_STOP_WORDS = frozenset(  # a word list reads best as words, hence the noqa
    "a an and the of to in on at by for with from as or nor but if is are was were be been being "  # noqa: SIM905
    "am its this that these those i me my we our you your he she his her they them their not no "
    "so than then too very can will would should could may might must do does did done have has "
    "had into over under about across after before between during through per via within without "
    "while where when which who whom whose what how also etc".split()
)
# Curated labels that are also everyday English words (or names and places). As a single word they
# count only when written exactly as the taxonomy spells them ("Go", "React", "Spring", ".NET" as
# "NET") and on a line with an unambiguous mention of another skill: "Languages: Go, Python" counts,
# "go to market", "Ruby Chen", "Phoenix, AZ" and "Go, Ruby" (no unambiguous company) do not.
# Every single-word label of two characters or fewer ("C", "R", "JS", "ML", "CI", "pg") is treated
# the same way.
_AMBIGUOUS_WORDS = frozenset(  # a word list reads best as words, hence the noqa
    "go node net rest react express spring swift rust ruby spark rails flux helm dart phoenix "  # noqa: SIM905
    "apollo oracle mocha celery cypress selenium sentry jest locust snowflake elixir flutter "
    "pulsar agile pandas flask svelte sass swagger playwright confluent jenkins nats dynamo "
    "mongo cassandra airflow scala kube".split()
)
_AMBIGUOUS_MAX_LENGTH = 2
# A single-letter skill glued to these is something else: R&D, Q&A, C-level, C's (and "R." is an
# initial).
_LETTER_GLUE = frozenset("&-'\u2019")


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    key: str


@dataclass(slots=True)
class _Candidate:
    skill: Skill
    surface: str
    ambiguous: bool
    #: Where the surface form sits in its line, so the words touching it can be read.
    start: int
    end: int


def extract_skills(text: str, taxonomy: SkillTaxonomy | None = None) -> list[SkillMention]:
    """Canonical skills mentioned in ``text``, in order of first mention, each with its count.

    Matching: the text is cut into lines, and lines into phrases at hard punctuation (see
    ``_HARD_GAP``). Within a phrase, at each word, windows of 4 down to 1 words are looked up
    through the taxonomy's normaliser (so "Postgres 15", "postgresql" and "PostgreSQL" are one
    skill); the longest acceptable window wins and matching resumes after it, so "Ruby on Rails"
    is Rails and not also Ruby.

    False-positive guards, because ESCO holds thousands of everyday words ("less", "light",
    "logging") and a few tech names are ordinary English ("go", "rest", "spring"):

    * ESCO skills count only from windows of two or more words that neither begin nor end with
      a function word. Single-word ESCO labels never count; single-word *tech* skills come from
      the curated list, which takes precedence in the normaliser anyway.
    * Curated skills whose single-word form is two characters or less, or is in
      ``_AMBIGUOUS_WORDS``, count only when written exactly as one of the skill's labels
      (case-sensitive) and when the same line mentions another skill unambiguously. A single
      letter glued to ``&``, ``-`` or an apostrophe, or followed by a dot ("R&D", "C-level",
      "Jane R. Doe") never counts.
    * All other curated skills count wherever they appear.

    No stemming: "managed staff" does not match ESCO's "manage staff".

    Each mention's neighbouring words may state a proficiency; the mention's ``proficiency`` is
    what :func:`rolecall.candidates.proficiency.proficiency_of` makes of all of them.

    ``taxonomy`` defaults to :func:`rolecall.roles.taxonomy.default_taxonomy`. CPU-bound: about
    0.1 s for a 10,000-word text (a long resume) on one busy core, almost all of it in the
    normaliser (up to four lookups per word, each memoised by the taxonomy); call it from a
    worker thread in async code.
    """
    if taxonomy is None:
        taxonomy = default_taxonomy()
    counts: dict[str, int] = {}
    firsts: dict[str, SkillMention] = {}
    claims: dict[str, list[proficiency.Claim]] = {}
    for line in text.splitlines():
        for candidate in _line_candidates(line, taxonomy):
            skill_id = candidate.skill.id
            if skill_id not in counts:
                counts[skill_id] = 0
                firsts[skill_id] = SkillMention(candidate.skill, 0, candidate.surface)
                claims[skill_id] = []
            counts[skill_id] += 1
            claims[skill_id].append(proficiency.claim_near(line, candidate.start, candidate.end))
    return [
        SkillMention(m.skill, counts[skill_id], m.surface, proficiency.proficiency_of(claims[skill_id]))
        for skill_id, m in firsts.items()
    ]


def _line_candidates(line: str, taxonomy: SkillTaxonomy) -> list[_Candidate]:
    found: list[_Candidate] = []
    for phrase in _phrases(line):
        found.extend(_phrase_candidates(line, phrase, taxonomy))
    if not found:
        return found
    # An ambiguous word needs company: an unambiguous mention of another skill on the same line.
    strong = {c.skill.id for c in found if not c.ambiguous}
    return [c for c in found if not c.ambiguous or strong - {c.skill.id}]


def _phrases(line: str) -> Iterator[list[_Token]]:
    phrase: list[_Token] = []
    previous_end = 0
    for match in _TOKEN.finditer(line):
        start, end = match.span()
        if phrase and _HARD_GAP.search(line, previous_end, start):
            yield phrase
            phrase = []
        # "R&D" is normalised as "r and d" by the taxonomy; keep the same shape here.
        if phrase and "&" in line[previous_end:start]:
            phrase.append(_Token(previous_end, previous_end, "and"))
        key = normalise_key(match.group())
        if key:
            phrase.append(_Token(start, end, key))
        previous_end = end
    if phrase:
        yield phrase


def _phrase_candidates(line: str, tokens: list[_Token], taxonomy: SkillTaxonomy) -> Iterator[_Candidate]:
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_WINDOW, len(tokens) - i), 0, -1):
            window = tokens[i : i + size]
            candidate = _accept(line, window, taxonomy)
            if candidate is not None:
                yield candidate
                i += size
                break
        else:
            i += 1


def _accept(line: str, window: list[_Token], taxonomy: SkillTaxonomy) -> _Candidate | None:
    first, last = window[0], window[-1]
    if first.key == "and" or (len(window) > 1 and last.key == "and"):
        return None
    skill = taxonomy.normalise(" ".join(token.key for token in window))
    if skill is None:
        return None
    start = first.start
    if line[start - 1 : start] == "." and not line[start - 2 : start - 1].isalnum():
        start -= 1  # keep the dot of ".NET" in the surface form; "ASP.NET" already has it
    surface = line[start : last.end]
    if skill.source == "esco":
        if len(window) < 2 or first.key in _STOP_WORDS or last.key in _STOP_WORDS:
            return None
        return _Candidate(skill, surface, ambiguous=False, start=start, end=last.end)
    if len(window) > 1:
        return _Candidate(skill, surface, ambiguous=False, start=start, end=last.end)
    key = first.key
    if len(key) > _AMBIGUOUS_MAX_LENGTH and key not in _AMBIGUOUS_WORDS:
        return _Candidate(skill, surface, ambiguous=False, start=start, end=last.end)
    word = line[first.start : first.end]
    if word not in _exact_forms(taxonomy, skill.id):
        return None
    if len(word) == 1 and (
        line[first.start - 1 : first.start] in _LETTER_GLUE
        or line[first.end : first.end + 1] in _LETTER_GLUE
        or line[first.end : first.end + 1] == "."  # an initial: "Jane R. Doe"
    ):
        return None
    return _Candidate(skill, surface, ambiguous=True, start=start, end=last.end)


@functools.lru_cache(maxsize=4096)
def _exact_forms(taxonomy: SkillTaxonomy, skill_id: str) -> frozenset[str]:
    """The single-token spellings of a skill's labels, as the taxonomy writes them ("NET" for .NET)."""
    skill = taxonomy.get(skill_id)
    if skill is None:
        return frozenset()
    forms: set[str] = set()
    for label in (skill.name, *taxonomy.aliases(skill_id)):
        tokens = _TOKEN.findall(unicodedata.normalize("NFC", label))
        if len(tokens) == 1:
            forms.add(tokens[0])
    return frozenset(forms)


# -- all in one -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedResume:
    kind: ResumeKind
    content_type: str
    text: str
    skills: list[SkillMention]
    #: Total years of experience the text states or its work history spans; ``None`` if unknown.
    years_experience: float | None = None


def parse_resume(
    data: bytes, taxonomy: SkillTaxonomy | None = None, *, today: date | None = None
) -> ParsedResume:
    """Sniff, extract text, skills and years of experience in one call, so async code needs one hop
    to a thread.

    ``today`` ends ranges such as "2015 - present"; it defaults to the platform clock's date, so a
    frozen clock in tests freezes it too. Raises :class:`ResumeRejected` for anything that is not a
    usable PDF, DOCX or text resume.
    """
    kind = sniff(data)
    text = extract_text(data, kind)
    years = proficiency.experience_years(text, today or utcnow().date())
    return ParsedResume(kind, CONTENT_TYPES[kind], text, extract_skills(text, taxonomy), years)
