"""Hardened XML: a DTD or entity declaration is refused in the decoded text, in any encoding, in a
document read whole or in pieces; ``huge_tree`` lifts the size limits and nothing else."""

from __future__ import annotations

import io

import pytest
from lxml import etree

from responses_parser import HostileXMLError, parse_response, read_statuses
from responses_parser.safe_xml import (
    DoctypeScanner,
    UnknownEncodingError,
    Utf8Reader,
    check_no_doctype,
    detect_encoding,
    parse_document,
)

BOMB = '<?xml version="1.0" encoding="{encoding}"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><QBXML>&b;</QBXML>'
ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-7", "cp500", "latin-1"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_dtd_is_found_in_the_decoded_text(encoding: str) -> None:
    data = BOMB.format(encoding=encoding).encode(encoding)
    with pytest.raises(HostileXMLError):
        check_no_doctype(data)
    with pytest.raises(HostileXMLError):
        parse_document(data, huge_tree=True)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_document_without_a_dtd_passes_in_any_encoding(encoding: str) -> None:
    data = f'<?xml version="1.0" encoding="{encoding}"?><QBXML><A>é</A></QBXML>'.encode(encoding)
    check_no_doctype(data)


def test_the_encoding_is_found_as_a_parser_finds_it() -> None:
    assert detect_encoding(b"\xef\xbb\xbf<?xml version='1.0'?>") == "utf-8"
    assert detect_encoding("<a/>".encode("utf-16-le")) == "utf-16-le"
    assert detect_encoding("<a/>".encode("utf-16-be")) == "utf-16-be"
    assert detect_encoding(b'<?xml version="1.0" encoding="ISO-8859-1"?>') == "iso8859-1"
    assert detect_encoding(b"<QBXML/>") == "utf-8"
    with pytest.raises(UnknownEncodingError):
        detect_encoding(b'<?xml version="1.0" encoding="x-martian"?><a/>')


def test_a_declaration_cut_between_two_pieces_is_found() -> None:
    for encoding, bare in (("utf-8", "utf-8"), ("utf-16", "utf-16-le")):
        data = ('<?xml version="1.0"?><!--' + "c" * 5000 + "--><!DOCTYPE x><x/>").encode(encoding)
        cut = data.index("DOCTYPE".encode(bare)) + 3
        scanner = DoctypeScanner()
        with pytest.raises(HostileXMLError):
            scanner.feed(data[:cut])
            scanner.feed(data[cut:])
            scanner.close()


def test_the_scanner_holds_back_the_start_until_the_encoding_is_known() -> None:
    scanner = DoctypeScanner()
    assert scanner.feed(b"<?x") == b""
    assert scanner.feed(b"ml version='1.0'?><a/>") == b"<?xml version='1.0'?><a/>"
    assert scanner.close() == b""


def test_huge_tree_lifts_the_text_size_limit_only() -> None:
    big = b"<QBXML><A>" + b"x" * 11_000_000 + b"</A></QBXML>"
    with pytest.raises(etree.XMLSyntaxError):
        parse_document(big)
    assert len(parse_document(big, huge_tree=True)[0].text or "") == 11_000_000
    with pytest.raises(HostileXMLError):
        parse_document(BOMB.format(encoding="utf-8").replace("&b;", "&b;" + "x" * 11_000_000), huge_tree=True)


def test_a_dtd_deep_in_a_stream_is_refused_before_it_is_parsed() -> None:
    # Beyond the first 64 KiB the stream reader looks at: every piece is checked as it is read.
    prolog = '<?xml version="1.0"?><!--' + "c" * 200_000 + "-->"
    bomb = prolog + '<!DOCTYPE l [<!ENTITY a "aaaa">]><QBXML><QBXMLMsgsRs/></QBXML>'
    with pytest.raises(HostileXMLError):
        list(parse_response(io.BytesIO(bomb.encode())))
    with pytest.raises(HostileXMLError):
        list(parse_response(bomb))
    with pytest.raises(HostileXMLError):
        read_statuses(bomb)


def test_a_str_is_read_as_utf8_a_piece_at_a_time() -> None:
    text = '<?xml version="1.0" encoding="windows-1252"?><QBXML><A>' + "é" * 100_000 + "</A></QBXML>"
    reader = Utf8Reader(text)
    pieces = []
    while piece := reader.read(4096):
        assert len(piece) <= 4096
        pieces.append(piece)
    data = b"".join(pieces)
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert data.decode("utf-8").endswith("é</A></QBXML>")
    assert etree.fromstring(data)[0].text == "é" * 100_000
