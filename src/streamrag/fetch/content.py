"""What counts as an article body we can parse: one set of rules for the network fetcher, recording replay
and the parser (so all three refuse the same PDFs, images and binary blobs)."""

from __future__ import annotations

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
SNIFF_BYTES = 4096

# WHATWG MIME sniffing: an HTML document starts (after whitespace) with one of these tags,
# followed by a space or ">".
_HTML_SNIFF_TAGS = (
    b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div", b"<font",
    b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p", b"<!--",
)
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\x7fELF",
                 b"RIFF", b"OggS", b"ID3", b"\x00\x00\x01\x00", b"wOFF", b"wOF2", b"%!PS")
_CONTROL_BYTES = frozenset(set(range(0, 9)) | (set(range(14, 32)) - {27}))  # ESC (27) is text


def mime_type(content_type: str) -> str:
    """``text/html; charset=utf-8`` -> ``text/html``."""
    return content_type.split(";", 1)[0].strip().lower()


def sniffs_as_html(head: bytes) -> bool:
    """True when the first bytes of a body look like an HTML document."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n\x0c").lower()
    for tag in _HTML_SNIFF_TAGS:
        if text.startswith(tag):
            rest = text[len(tag) : len(tag) + 1]
            if rest in (b" ", b">", b"\t", b"\n", b"\r", b"\x0c") or (tag == b"<!--" and rest):
                return True
    return False


def looks_binary(head: bytes) -> bool:
    """True when the first bytes of a body are not text (NUL bytes, magic numbers, control bytes).

    The one check for both stages: the fetcher refuses such bodies, the parser refuses recorded ones.
    """
    sample = head[:SNIFF_BYTES]
    if not sample or sample.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 HTML is still text
        return False
    if b"\x00" in sample or sample.lstrip().startswith(_BINARY_MAGIC):
        return True
    controls = sum(1 for byte in sample if byte in _CONTROL_BYTES)
    return controls > len(sample) * 0.1


def body_problem(content_type: str, body: bytes, max_bytes: int) -> str | None:
    """Why a 2xx response is not an HTML article we can parse (a skip reason), or None when it is.

    Shared by the network fetcher and recording replay, so both refuse the same pages.
    """
    mime = mime_type(content_type)
    if mime and mime not in HTML_TYPES:
        return f"not_html:{mime}"
    if len(body) > max_bytes:
        return "too_large"
    if not body.strip():
        return "empty_body"
    if not mime and not sniffs_as_html(body[:SNIFF_BYTES]):
        return "not_html:missing"
    if looks_binary(body[:SNIFF_BYTES]):
        return "binary_body"
    return None
