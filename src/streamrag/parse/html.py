"""Parse stage, step 1: page bytes -> the HTML of its main content.

1. :func:`decode_html` picks the charset (HTTP header, then ``<meta>``, then detection with
   ``charset_normalizer``, then utf-8 with replacement).
2. :func:`extract_main_html` is a pre-pass with lxml: it drops scripts, styles, forms, ``<nav>``,
   ``<aside>``, ``<footer>``, page headers and every element whose class/id says it is boilerplate
   (cookie banner, newsletter, related, share, comments, sidebar, menu...), then keeps only the main
   content: ``itemprop=articleBody``, else the ``<article>``/``<main>``, else the node a
   readability-style paragraph score picks. Very deep nesting is flattened first (libxml2 silently
   drops everything below depth 256 / 2048).
"""

from __future__ import annotations

import codecs
import logging
import re
from html.parser import HTMLParser
from typing import Any

log = logging.getLogger(__name__)

MAX_TREE_DEPTH = 200  # unstructured's lxml parser drops content nested deeper than 256
FLATTEN_KEEP_DEPTH = 64  # when flattening, container tags deeper than this are removed


class ParseError(Exception):
    """A page that cannot be turned into text. ``reason`` is short and stable (used as Skip reason)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason if not detail else f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


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
