"""Resume intake: sniffing by content, refusing hostile files, text extraction and skill matching.

Every fixture is built here from scratch: PDFs by hand (and encrypted with pypdf), DOCX files with
python-docx, ZIP oddities with zipfile, so each test states exactly what its file contains.
"""

from __future__ import annotations

import functools
import io
import pickle
import re
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import docx
import pypdf
import pytest
from docx.oxml import parse_xml

from rolecall.candidates import resumes
from rolecall.candidates.resumes import (
    CONTENT_TYPES,
    MAX_DOCX_ENTRIES,
    MAX_PDF_PAGES,
    MAX_RESUME_BYTES,
    MAX_TEXT_CHARS,
    ResumeRejected,
    SkillMention,
    extract_skills,
    extract_text,
    normalise_whitespace,
    parse_resume,
    sniff,
)
from rolecall.roles.taxonomy import SkillTaxonomy, default_taxonomy

# -- fixture builders -------------------------------------------------------------------------


def _pdf_string(text: str) -> bytes:
    return (
        b"("
        + text.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        + b")"
    )


def make_pdf(pages: Iterable[Iterable[str]]) -> bytes:
    """A minimal, valid PDF: one Helvetica text line per string, a correct xref table."""
    page_lines = [list(lines) for lines in pages]
    objects: list[bytes] = []  # object n is objects[n - 1]
    font_id, pages_id = 3, 2
    kids: list[int] = []
    body: list[bytes] = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for lines in page_lines:
        ops = [b"BT /F1 11 Tf 14 TL 56 780 Td"]
        ops += [_pdf_string(line) + b" Tj T*" for line in lines]
        ops.append(b"ET")
        content = b"\n".join(ops)
        content_id = len(body) + 1
        body.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        page_id = len(body) + 1
        body.append(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_id, content_id, font_id)
        )
        kids.append(page_id)
    body[0] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    body[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    objects = body
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def encrypt_pdf(data: bytes, *, user_password: str, owner_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_docx(paragraphs: Iterable[str] = (), table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table is not None:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, extra: dict[str, bytes] | None = None, drop: Iterable[str] = ()) -> bytes:
    """A copy of a ZIP with members added, replaced or dropped (all deflated)."""
    extra = extra or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename not in extra and info.filename not in drop:
                target.writestr(info.filename, source.read(info))
        for name, content in extra.items():
            target.writestr(name, content)
    return out.getvalue()


def make_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def rejected(data: bytes, kind: resumes.ResumeKind | None = None) -> ResumeRejected:
    """The rejection for ``data``: from sniff, or from extract_text when ``kind`` is given."""
    check: Callable[[bytes], object] = sniff if kind is None else functools.partial(extract_text, kind=kind)
    with pytest.raises(ResumeRejected) as caught:
        check(data)
    return caught.value


RESUME_LINES = ["Ada Lovelace", "Skills: Python, PostgreSQL, Kubernetes", "Led a team of five engineers."]


# -- sniffing ---------------------------------------------------------------------------------


def test_sniff_recognises_pdf_docx_and_text_by_content() -> None:
    assert sniff(make_pdf([RESUME_LINES])) == "pdf"
    assert sniff(make_docx(RESUME_LINES)) == "docx"
    assert sniff("\n".join(RESUME_LINES).encode()) == "text"
    assert sniff("Zoë Ångström — développeuse, 東京\n".encode()) == "text"
    assert sniff(b"\xef\xbb\xbfUTF-8 with a byte order mark\n") == "text"


def test_empty_and_oversized_files_are_rejected() -> None:
    assert rejected(b"").code == "empty"
    error = rejected(b"a" * (MAX_RESUME_BYTES + 1))
    assert error.code == "too_large"
    assert "5 MB" in str(error)
    assert sniff(b"a" * MAX_RESUME_BYTES) == "text"  # the limit itself is allowed


@pytest.mark.parametrize(
    ("label", "data"),
    [
        (
            "windows executable renamed .pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(range(256)),
        ),
        ("elf binary", b"\x7fELF\x02\x01\x01\x00" + bytes(200)),
        ("png image", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
        ("jpeg image", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256))),
        ("gif image", b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + bytes(range(40))),
        ("latin-1 text", "Résumé of Jürgen".encode("latin-1")),
        ("text with a nul byte", b"Skills: Python\x00\n"),
        ("utf-16 text", "Skills: Python".encode("utf-16")),
        ("control characters", b"\x1b[31m" * 20 + b"mostly escape codes"),
        ("rtf", b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} Skills: Python }"),
        ("html", b"  <!DOCTYPE html><html><body>Python</body></html>"),
        ("svg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"),
        ("xml", b"<?xml version='1.0'?><resume>Python</resume>"),
    ],
)
def test_disguised_and_unknown_types_are_rejected(label: str, data: bytes) -> None:
    error = rejected(data)
    assert error.code == "unsupported_type", label
    assert "PDF" in str(error)


def test_legacy_doc_and_encrypted_office_files_get_their_own_advice() -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)
    error = rejected(ole2)
    assert error.code == "unsupported_type"
    assert ".doc" in str(error)


def test_a_zip_that_is_not_a_word_document_is_rejected() -> None:
    plain_zip = make_zip({"resume.txt": b"Python"})
    odt = make_zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})
    xlsx_like = make_zip(
        {
            "[Content_Types].xml": b"<Types><Override PartName='/xl/workbook.xml' ContentType="
            b"'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml'/></Types>",
            "xl/workbook.xml": b"<workbook/>",
        }
    )
    for data in (plain_zip, odt, xlsx_like):
        error = rejected(data)
        assert error.code == "unsupported_type"
        assert "ZIP archive" in str(error)


def test_a_macro_enabled_document_is_not_a_docx() -> None:
    original = make_docx(RESUME_LINES)
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        types = archive.read("[Content_Types].xml")
    docm_types = types.replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    assert docm_types != types
    docm = rezip(original, {"[Content_Types].xml": docm_types})
    assert rejected(docm).code == "unsupported_type"


def test_a_docx_missing_its_document_part_is_rejected() -> None:
    assert rejected(rezip(make_docx(RESUME_LINES), drop=["word/document.xml"])).code == "unsupported_type"


def test_a_truncated_zip_is_corrupt() -> None:
    data = make_docx(RESUME_LINES)
    assert rejected(data[: len(data) // 2]).code == "corrupt"


# -- zip bombs --------------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_from_its_directory_without_inflating_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bomb = rezip(make_docx(RESUME_LINES), {"word/media/filler.bin": bytes(60 * 1024 * 1024)})
    assert len(bomb) < MAX_RESUME_BYTES  # small on the wire, 60 MB inflated
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: str | zipfile.ZipInfo, *args: object, **kwargs: object) -> object:
        opened.append(name if isinstance(name, str) else name.filename)
        return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    for error in (rejected(bomb), rejected(bomb, "docx")):
        assert error.code == "too_complex"
    assert "word/media/filler.bin" not in opened


def test_a_zip_with_too_many_entries_is_refused() -> None:
    crowded = rezip(make_docx(RESUME_LINES), {f"word/media/{i}.bin": b"x" for i in range(MAX_DOCX_ENTRIES)})
    assert rejected(crowded).code == "too_complex"
    assert rejected(crowded, "docx").code == "too_complex"


def _lie_about_size(data: bytes, member: str, declared: int, crc: int | None = None) -> bytes:
    """Patch the uncompressed size (and optionally the CRC) a ZIP declares for ``member``."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    local = info.header_offset
    out[local + 22 : local + 26] = declared.to_bytes(4, "little")
    if crc is not None:
        out[local + 14 : local + 18] = crc.to_bytes(4, "little")
    position = 0
    while (position := out.find(b"PK\x01\x02", position + 1)) != -1:
        name_length = int.from_bytes(out[position + 28 : position + 30], "little")
        if out[position + 46 : position + 46 + name_length] == member.encode():
            out[position + 24 : position + 28] = declared.to_bytes(4, "little")
            if crc is not None:
                out[position + 16 : position + 20] = crc.to_bytes(4, "little")
            return bytes(out)
    raise AssertionError("member not in the central directory")


@pytest.mark.parametrize("matching_crc", [False, True], ids=["crc-of-whole", "crc-of-declared-prefix"])
def test_a_member_that_lies_about_its_size_is_never_inflated_past_it(matching_crc: bool) -> None:
    original = make_docx(RESUME_LINES)
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        document_xml = archive.read("word/document.xml")
    # 80 MB of XML whitespace inside the body: it deflates to well under 1 MB.
    padded = document_xml.replace(b"<w:body>", b"<w:body>" + b" " * (80 * 1024 * 1024), 1)
    declared = len(document_xml)
    # With the CRC of the declared prefix, zipfile's own check passes: only bounded reads help.
    crc = zlib.crc32(padded[:declared]) if matching_crc else None
    liar = _lie_about_size(rezip(original, {"word/document.xml": padded}), "word/document.xml", declared, crc)
    assert len(liar) < MAX_RESUME_BYTES
    assert sniff(liar) == "docx"  # the directory looks harmless
    tracemalloc.start()
    try:
        error = rejected(liar, "docx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.code == "corrupt"
    assert peak < 20 * 1024 * 1024


@pytest.mark.parametrize("problem", ["duplicate names", "bzip2 member"])
def test_zips_word_never_writes_are_refused(problem: str) -> None:
    members = {"[Content_Types].xml": b"", "word/document.xml": b"<x/>"}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(
                name, content, zipfile.ZIP_BZIP2 if problem == "bzip2 member" else zipfile.ZIP_DEFLATED
            )
        if problem == "duplicate names":
            with pytest.warns(UserWarning, match="Duplicate name"):
                archive.writestr("word/document.xml", b"<y/>")
    assert rejected(out.getvalue()).code == "corrupt"


def test_xml_entities_in_a_docx_are_not_expanded() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
            for i in range(1, 10)
        )
        + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>Python &lol9;</w:t></w:r></w:p></w:body></w:document>"
    )
    bomb = rezip(make_docx(RESUME_LINES), {"word/document.xml": laughs})
    started = time.perf_counter()
    # Word never writes a DTD; python-docx's parser (entities unresolved) refuses this one outright.
    assert rejected(bomb, "docx").code == "corrupt"
    assert time.perf_counter() - started < 5


# -- PDF --------------------------------------------------------------------------------------


def test_pdf_text_is_extracted_page_by_page() -> None:
    data = make_pdf([RESUME_LINES, ["Page two: Terraform and AWS"]])
    text = extract_text(data, "pdf")
    assert "Ada Lovelace" in text
    assert "Skills: Python, PostgreSQL, Kubernetes" in text
    assert text.index("Led a team") < text.index("Page two: Terraform and AWS")


def test_a_password_protected_pdf_is_rejected() -> None:
    locked = encrypt_pdf(make_pdf([RESUME_LINES]), user_password="s3cret", owner_password="owner")
    assert sniff(locked) == "pdf"
    error = rejected(locked, "pdf")
    assert error.code == "encrypted"
    assert "password" in str(error)


def test_a_pdf_encrypted_with_an_empty_user_password_is_read() -> None:
    # Owner-password restrictions only: any reader opens it without asking, so should we.
    restricted = encrypt_pdf(make_pdf([RESUME_LINES]), user_password="", owner_password="owner")
    assert pypdf.PdfReader(io.BytesIO(restricted)).is_encrypted
    assert "Ada Lovelace" in extract_text(restricted, "pdf")


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("header then garbage", b"%PDF-1.7\n" + bytes(range(256)) * 4),
        ("header only", b"%PDF-"),
        ("truncated", make_pdf([RESUME_LINES])[:200]),
    ],
)
def test_a_damaged_pdf_is_rejected_as_corrupt(label: str, data: bytes) -> None:
    assert sniff(data) == "pdf"
    assert rejected(data, "pdf").code == "corrupt", label


def test_the_page_cap_is_enforced() -> None:
    at_limit = make_pdf([[f"page {n}"] for n in range(MAX_PDF_PAGES)])
    assert "page 49" in extract_text(at_limit, "pdf")
    over = make_pdf([[f"page {n}"] for n in range(MAX_PDF_PAGES + 1)])
    error = rejected(over, "pdf")
    assert error.code == "too_many_pages"
    assert str(MAX_PDF_PAGES) in str(error)


def test_too_much_extracted_text_is_rejected() -> None:
    line = "Python " * 14  # ~100 characters a line
    pages = [[line] * 100 for _ in range(MAX_TEXT_CHARS // (100 * len(line)) + 2)]
    assert len(pages) <= MAX_PDF_PAGES
    assert rejected(make_pdf(pages), "pdf").code == "too_much_text"
    assert rejected(b"word " * (MAX_TEXT_CHARS // 5 + 1), "text").code == "too_much_text"
    assert len(extract_text(b"word " * (MAX_TEXT_CHARS // 5), "text")) < MAX_TEXT_CHARS


# -- DOCX -------------------------------------------------------------------------------------


def test_docx_paragraphs_and_tables_are_extracted_in_order() -> None:
    data = make_docx(
        ["Ada Lovelace", "Experience"],
        table=[["Language", "Years"], ["Python", "7"], ["Rust", "2"]],
    )
    text = extract_text(data, "docx")
    lines = text.splitlines()
    assert lines[:2] == ["Ada Lovelace", "Experience"]
    for cell in ("Language", "Years", "Python", "7", "Rust", "2"):
        assert cell in lines
    assert lines.index("Python") < lines.index("Rust")


def test_docx_text_boxes_are_read_once() -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("Before the box")
    paragraph._p.append(
        parse_xml(
            '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
            ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
            "<mc:AlternateContent><mc:Choice Requires='wps'><w:drawing><w:txbxContent>"
            "<w:p><w:r><w:t>Kubernetes in a text box</w:t></w:r></w:p>"
            "</w:txbxContent></w:drawing></mc:Choice>"
            "<mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>Kubernetes in a text box</w:t></w:r></w:p>"
            "</w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
        )
    )
    buffer = io.BytesIO()
    document.save(buffer)
    text = extract_text(buffer.getvalue(), "docx")
    assert text.count("Kubernetes in a text box") == 1
    assert "Before the box" in text


def test_a_docx_with_broken_xml_is_corrupt() -> None:
    broken = rezip(make_docx(RESUME_LINES), {"word/document.xml": b"<w:document><w:body><w:p>"})
    assert sniff(broken) == "docx"
    assert rejected(broken, "docx").code == "corrupt"


def test_extract_text_rechecks_the_kind_it_is_given() -> None:
    text = "\n".join(RESUME_LINES).encode()
    assert rejected(text, "pdf").code == "unsupported_type"
    assert rejected(text, "docx").code == "corrupt"
    assert rejected(make_pdf([RESUME_LINES]), "docx").code == "corrupt"
    assert rejected(b"\x89PNG\r\n\x1a\n" + bytes(64), "text").code == "unsupported_type"
    with pytest.raises(ValueError, match="unknown resume kind"):
        extract_text(text, "odt")  # type: ignore[arg-type]  # the point of the test


# -- text -------------------------------------------------------------------------------------


def test_whitespace_and_invisible_characters_are_normalised() -> None:
    raw = "  Ada\u00a0\u00a0Lovelace \r\n\r\n\r\n\r\nSkills:\tPy\u00adthon,\u200b Rust\x00\x07 \rEnd  "
    assert normalise_whitespace(raw) == "Ada Lovelace\n\nSkills: Python, Rust\nEnd"


def test_a_whitespace_only_text_file_is_empty() -> None:
    assert rejected(b" \n\t\r\n ", "text").code == "empty"


def test_rejections_carry_a_user_safe_message() -> None:
    for error in (
        rejected(b""),
        rejected(b"MZ" + bytes(64)),
        rejected(b"%PDF-1.7 garbage", "pdf"),
        rejected(make_zip({"a": b"b"})),
    ):
        message = str(error)
        assert message.endswith(".")
        assert "Traceback" not in message
        assert "Error" not in message  # no exception class names leak through
        assert error.message == message
        assert isinstance(error, ValueError)
        copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes; a process pool pickles errors)
        assert (type(copy), copy.code, str(copy)) == (ResumeRejected, error.code, message)


# -- skills -----------------------------------------------------------------------------------


def small_taxonomy() -> SkillTaxonomy:
    curated: list[dict[str, Any]] = [
        {"id": "python", "name": "Python", "category": "language", "aliases": ["py"]},
        {"id": "go", "name": "Go", "category": "language", "aliases": ["Golang"]},
        {"id": "r", "name": "R", "category": "language", "aliases": ["R language"]},
        {"id": "c", "name": "C", "category": "language"},
        {"id": "cpp", "name": "C++", "category": "language"},
        {"id": "ruby", "name": "Ruby", "category": "language"},
        {"id": "rails", "name": "Ruby on Rails", "category": "framework", "aliases": ["Rails"]},
        {"id": "postgresql", "name": "PostgreSQL", "category": "database", "aliases": ["Postgres"]},
        {"id": "dotnet", "name": ".NET", "category": "framework", "aliases": ["ASP.NET"]},
        {"id": "ml", "name": "Machine learning", "category": "data", "aliases": ["ML"]},
    ]
    esco = [
        {"esco_id": "e1", "preferred_label": "customer service", "alt_labels": "", "category": "x"},
        {"esco_id": "e2", "preferred_label": "logging", "alt_labels": "less|light", "category": "x"},
        {"esco_id": "e3", "preferred_label": "have computer literacy", "alt_labels": "", "category": "x"},
        {"esco_id": "e4", "preferred_label": "manage staff", "alt_labels": "manage the", "category": "x"},
    ]
    return SkillTaxonomy(curated, esco)


def ids(mentions: list[SkillMention]) -> list[str]:
    return [m.skill_id for m in mentions]


def test_mentions_are_canonical_counted_and_keep_the_first_spelling() -> None:
    text = "Postgres tuning.\nRan postgresql 15 in production; PostgreSQL replication.\nPython"
    mentions = extract_skills(text, small_taxonomy())
    assert ids(mentions) == ["postgresql", "python"]
    assert mentions[0].count == 3
    assert mentions[0].surface == "Postgres"
    assert mentions[0].skill.name == "PostgreSQL"
    assert mentions[1].count == 1


def test_the_longest_window_wins() -> None:
    mentions = extract_skills("Built apps with Ruby on Rails and Python", small_taxonomy())
    assert ids(mentions) == ["rails", "python"]
    assert mentions[0].surface == "Ruby on Rails"


def test_a_skill_never_spans_hard_punctuation() -> None:
    taxonomy = small_taxonomy()
    assert ids(extract_skills("customer service", taxonomy)) == ["esco:e1"]
    for text in ("customer, service", "customer. Service", "customer (service)", "customer: service"):
        assert extract_skills(text, taxonomy) == [], text


def test_versions_and_inner_dots_stay_inside_a_window() -> None:
    mentions = extract_skills("Python 3.12, ASP.NET and .NET 8 with Postgres", small_taxonomy())
    assert ids(mentions) == ["python", "dotnet", "postgresql"]
    assert mentions[0].surface == "Python 3.12"
    assert mentions[1].surface == "ASP.NET"
    assert mentions[1].count == 2


def test_single_word_esco_labels_never_count() -> None:
    taxonomy = small_taxonomy()
    assert taxonomy.normalise("less") is not None  # it is a label, so only the rule keeps it out
    assert extract_skills("Logging: less is more, light work", taxonomy) == []


def test_esco_phrases_edged_by_function_words_do_not_count() -> None:
    taxonomy = small_taxonomy()
    assert taxonomy.normalise("have computer literacy") is not None
    assert taxonomy.normalise("manage the") is not None
    assert extract_skills("I have computer literacy and manage the budget", taxonomy) == []
    assert ids(extract_skills("I manage staff of ten", taxonomy)) == ["esco:e4"]


def test_ambiguous_words_need_exact_spelling_and_company() -> None:
    taxonomy = small_taxonomy()
    assert extract_skills("Ready to go the extra mile with Python", taxonomy)[0].skill_id == "python"
    assert ids(extract_skills("Ready to go the extra mile with Python", taxonomy)) == ["python"]
    assert ids(extract_skills("Languages: Go, Python", taxonomy)) == ["go", "python"]
    assert ids(extract_skills("Languages: Go", taxonomy)) == []  # no unambiguous company
    assert ids(extract_skills("Go, Ruby", taxonomy)) == []  # ambiguous words do not vouch for each other
    assert ids(extract_skills("Golang", taxonomy)) == ["go"]  # unambiguous spelling
    assert ids(extract_skills("Ruby Chen\nPython developer", taxonomy)) == ["python"]
    assert ids(extract_skills("Python and ML", taxonomy)) == ["python", "ml"]
    assert ids(extract_skills("Python and ml", taxonomy)) == ["python"]


def test_single_letters_glued_to_punctuation_are_not_languages() -> None:
    taxonomy = small_taxonomy()
    assert ids(extract_skills("R&D lead, Python", taxonomy)) == ["python"]
    assert ids(extract_skills("Jane R. Doe, Python", taxonomy)) == ["python"]
    assert ids(extract_skills("C-level reporting with Python", taxonomy)) == ["python"]
    assert ids(extract_skills("C/C++ and Python, R", taxonomy)) == ["c", "cpp", "python", "r"]


def canonical_id(text: str) -> str:
    skill = default_taxonomy().normalise(text)
    assert skill is not None, text
    return skill.id


def test_skills_against_the_default_taxonomy() -> None:
    text = (
        "Senior engineer. Skills: Python 3, Go, PostgreSQL, Kubernetes (K8s), CI/CD, Node.js\n"
        "Improved customer service for 3 years. I go hiking in spring and rest on weekends."
    )
    mentions = {m.skill_id: m for m in extract_skills(text)}
    expected = {canonical_id(s) for s in ("Python", "Go", "PostgreSQL", "Kubernetes", "CI/CD", "Node.js")}
    assert expected <= mentions.keys()
    assert mentions[canonical_id("Kubernetes")].count == 2
    assert mentions[canonical_id("Go")].count == 1
    assert any(m.skill.source == "esco" for m in mentions.values())  # customer service
    for word in ("spring", "rest"):
        assert canonical_id(word) not in mentions, word


def test_skill_extraction_is_fast_enough_for_a_long_resume() -> None:
    words = re.findall(
        r"\S+",
        "Designed and operated Python services on Kubernetes with PostgreSQL, Kafka and Redis; "
        "mentored engineers, improved customer service and led incident reviews across teams.",
    )
    text = "\n".join(" ".join(words[(i % 7) :] + words[: (i % 7)]) for i in range(10_000 // len(words) + 1))
    assert len(text.split()) >= 10_000
    extract_skills(text)  # warm the taxonomy load
    started = time.perf_counter()
    mentions = extract_skills(text)
    elapsed = time.perf_counter() - started
    assert len(mentions) >= 5
    assert elapsed < 2.0  # ~0.1 s on a busy 2-core machine; a quadratic slip would blow this


# -- all in one -------------------------------------------------------------------------------


def test_parse_resume_sniffs_extracts_and_matches() -> None:
    parsed = parse_resume(make_docx(RESUME_LINES), small_taxonomy())
    assert parsed.kind == "docx"
    assert parsed.content_type == CONTENT_TYPES["docx"]
    assert "Led a team of five engineers." in parsed.text
    assert ids(parsed.skills) == ["python", "postgresql"]
    with pytest.raises(ResumeRejected):
        parse_resume(b"MZ" + bytes(100))
