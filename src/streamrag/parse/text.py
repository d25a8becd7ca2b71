"""Parse stage, step 2: HTML -> clean text in sections, with Unstructured.

``unstructured.partition.html.partition_html`` turns the main content (from :mod:`.html`) into typed elements;
a post-pass drops element categories and short lines that are boilerplate (link lists, "Share this"...).
Cleaning uses ``unstructured.cleaners.core`` plus entity unescaping and whitespace normalisation (code blocks
keep their lines). :func:`parse_page` does it all for a fetched page; :func:`fragment_to_text` handles the
small HTML fragments of inline bodies (comments).
"""

from __future__ import annotations

import html as htmllib
import logging
import os
import re
import time as _time
from dataclasses import dataclass, field
from typing import Any

from ..fetch.content import looks_binary
from ..records import Page
from .html import ParseError, decode_html, extract_main_html
from .spacy_model import ensure_spacy_model

os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")  # no commercial banner in our logs

log = logging.getLogger(__name__)

MAX_HTML_CHARS = 2_000_000  # decoded HTML beyond this is cut before parsing (logged)

Element = Any  # unstructured.documents.elements.Element (imported lazily: unstructured is slow to import)


# --------------------------------------------------------------------------------------------------
# Elements -> cleaned text
# --------------------------------------------------------------------------------------------------

_DROP_CATEGORIES = {"Header", "Footer", "PageBreak", "PageNumber", "Image", "FigureCaption"}
_BOILERPLATE_LINE_RE = re.compile(
    r"^(share( this)?|tweet|print|email( this)?|permalink|reply|like|follow us|subscribe|sign ?up|log ?in|"
    r"register|read more|continue reading|comments?( \(\d+\))?|\d+ comments?|advertisement|skip to .*|"
    r"back to top|top|next|previous|prev|home|menu|search|close|accept( all)?( cookies)?|cookie settings|"
    r"trackback|posted in .*|tags?:.*|filed under.*|related( posts| articles| stories)?:?|"
    r"all rights reserved.*|copyright.*|©.*|\(c\) ?\d{4}.*)$",
    re.I,
)
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_ENTITY_RE = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,31});")


def clean_text(text: str, code: bool = False) -> str:
    """Unescape entities, fix quotes/mojibake, drop zero-width characters, normalise whitespace.

    ``code=True`` keeps line breaks and indentation (only trailing spaces and blank-line runs go).
    """
    from unstructured.cleaners.core import clean_bullets, clean_extra_whitespace, replace_unicode_quotes

    if _ENTITY_RE.search(text):
        text = htmllib.unescape(text)
    text = _ZERO_WIDTH_RE.sub("", text)
    text = replace_unicode_quotes(text)
    if code:
        lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ").split("\n")]
        out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
        return out.strip("\n")
    text = text.replace("\r", " ").replace("\t", " ")
    text = re.sub(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000]", " ", text)
    text = clean_extra_whitespace(text)
    return clean_bullets(text)


def _is_boilerplate_element(category: str, text: str, link_len: int) -> bool:
    if category in _DROP_CATEGORIES:
        return True
    if _BOILERPLATE_LINE_RE.match(text) and len(text) < 120:
        return True
    if link_len and len(text) < 200 and link_len >= 0.6 * len(text):
        return True  # a line that is (almost) only links: navigation, tag lists, "next post"
    return False


def html_to_elements(body: bytes, content_type: str = "", url: str = "", boilerplate: bool = True) -> list[Element]:
    """Bytes of an HTML page -> unstructured elements of its main content.

    ``boilerplate=False`` skips the pre-pass (only scripts/styles are removed) - for comparison.
    Raises :class:`ParseError` (``binary``, ``empty_text``, ``parse_error:<...>``); never lets a
    RecursionError or parser crash escape.
    """
    return _html_to_elements(body, content_type, url, boilerplate)[0]


def _html_to_elements(body: bytes, content_type: str, url: str, boilerplate: bool) -> tuple[list[Element], str]:
    if not body or not body.strip():
        raise ParseError("empty_text", "empty body")
    if looks_binary(body):
        raise ParseError("binary", f"{len(body)} bytes that are not text")
    text, encoding = decode_html(body, content_type)
    if len(text) > MAX_HTML_CHARS:
        log.info("page %s: %d chars of HTML, parsing the first %d", url or "?", len(text), MAX_HTML_CHARS)
        text = text[:MAX_HTML_CHARS]
    if not text.strip():
        raise ParseError("empty_text", "blank document")
    ensure_spacy_model()
    from unstructured.partition.html import partition_html

    try:
        main_html = extract_main_html(text, boilerplate=boilerplate)
        if not main_html.strip():
            return [], encoding
        # languages=[""]: no per-document language detection (langdetect, ~20% of parse time); we never use it
        return list(partition_html(text=main_html, languages=[""])), encoding
    except ParseError:
        raise
    except RecursionError as exc:
        raise ParseError("parse_error:recursion", str(exc)[:200]) from exc
    except Exception as exc:  # noqa: BLE001 - any parser failure is a per-page error, not a crash
        raise ParseError(f"parse_error:{type(exc).__name__}", str(exc)[:200]) from exc


# --------------------------------------------------------------------------------------------------
# Inline HTML fragments (comment and post bodies)
# --------------------------------------------------------------------------------------------------


def fragment_to_text(html: str) -> str:
    """An inline HTML fragment (a comment or post body, e.g. HN's small HTML subset) -> plain text.

    ``<p>`` starts a paragraph (kept as a blank line), link text is kept (and replaced by the full
    URL when HN shortened it, e.g. ``https://example.com/very/lo...``), ``<pre><code>`` blocks keep
    their lines, entities such as ``&#x27;`` ``&#x2F;`` ``&quot;`` are decoded.
    """
    if not isinstance(html, str) or not html.strip():
        return ""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.LxmlError, ValueError):
        return clean_text(re.sub(r"<[^>]+>", " ", html))
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        para = clean_text("".join(current))
        if para:
            paragraphs.append(para)
        current.clear()

    # iterative walk (no recursion): ("open", el) handles el and its text, ("close", el) its end and tail
    stack: list[tuple[str, Any]] = [("open", root)]
    while stack:
        action, el = stack.pop()
        tag = el.tag if isinstance(el.tag, str) else ""
        if action == "close":
            if tag == "p":
                flush()
            if el is not root and el.tail:
                current.append(el.tail)
            continue
        if tag == "pre":
            flush()
            code = clean_text("".join(el.itertext()), code=True)
            if code:
                paragraphs.append(code)
            if el.tail:
                current.append(el.tail)
            continue
        if tag == "a":
            label = " ".join("".join(el.itertext()).split())
            href = (el.get("href") or "").strip()
            truncated = label.endswith(("...", "\u2026")) and href.startswith(label.rstrip(".\u2026"))
            if href and (not label or truncated):
                label = href
            current.append(label)
            if el.tail:
                current.append(el.tail)
            continue
        if tag == "p":
            flush()
        elif tag == "br":
            current.append("\n")
        if el.text:
            current.append(el.text)
        stack.append(("close", el))
        for child in reversed(list(el)):
            stack.append(("open", child))
    flush()
    return "\n\n".join(paragraphs)


# --------------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------------


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    code: list[bool] = field(default_factory=list)  # per paragraph: a code block (keeps its lines)


@dataclass
class ParsedPage:
    text: str
    elements: list[tuple[str, str]]
    dropped: list[tuple[str, str]]
    sections: list[Section]
    encoding: str = ""
    seconds: float = 0.0


def parse_page(page: Page, title: str = "", boilerplate: bool = True, min_chars: int = 20) -> ParsedPage:
    """Article text of a fetched page. Raises :class:`ParseError` with reason ``empty_text``,
    ``binary`` or ``parse_error:<...>`` for pages without usable text."""
    started = _time.perf_counter()
    if not page.ok or page.body is None:
        raise ParseError("empty_text", page.reason or "no body")
    ctype = (page.content_type or "").lower()
    if ctype and not any(t in ctype for t in ("html", "xml", "text/plain")) and looks_binary(page.body):
        raise ParseError("binary", ctype)
    if "text/plain" in ctype and not looks_binary(page.body):
        text, encoding = decode_html(page.body, page.content_type)
        paragraphs = [clean_text(p) for p in re.split(r"\n\s*\n", text[:MAX_HTML_CHARS])]
        paragraphs = [p for p in paragraphs if p]
        sections = [Section(title or "", paragraphs, [False] * len(paragraphs))] if paragraphs else []
        return _finish(ParsedPage("\n\n".join(paragraphs), [("NarrativeText", p) for p in paragraphs], [],
                                       sections, encoding), started)
    elements, encoding = _html_to_elements(page.body, page.content_type, page.final_url or page.url, boilerplate=boilerplate)
    kept: list[tuple[str, str]] = []
    dropped: list[tuple[str, str]] = []
    sections: list[Section] = [Section("")]
    seen: set[str] = set()
    for el in elements:
        category = getattr(el, "category", type(el).__name__)
        code = category == "CodeSnippet" or ("\n" in (el.text or "") and category in ("Text", "UncategorizedText") and re.search(r"[{};=]|^\s{2,}\S", el.text or "", re.M) is not None)
        text = clean_text(el.text or "", code=code)
        if not text:
            continue
        link_len = sum(len(t or "") for t in (getattr(el.metadata, "link_texts", None) or []))
        if boilerplate and _is_boilerplate_element(category, text, link_len):
            dropped.append((category, text))
            continue
        key = text.lower()
        if category in ("Title", "ListItem", "UncategorizedText") and key in seen and len(text) < 200:
            dropped.append((category, text))  # repeated short lines: menus, tag clouds
            continue
        seen.add(key)
        kept.append((category, text))
        if category == "Title" and len(text) < 300:
            sections.append(Section(text))
        else:
            sections[-1].paragraphs.append(text)
            sections[-1].code.append(code)
    sections = [s for s in sections if s.paragraphs or s.heading]
    full = "\n\n".join(t for _, t in kept)
    parsed = ParsedPage(full, kept, dropped, sections, encoding)
    if len(full) < min_chars:
        raise ParseError("empty_text", f"{len(full)} chars of text after cleaning")
    return _finish(parsed, started)

def _finish(parsed: ParsedPage, started: float) -> ParsedPage:
    parsed.seconds = _time.perf_counter() - started
    return parsed
