"""The Hacker News adapter: HN items (the API's own JSON) become source-neutral records.

The HN item format stops here. Everything downstream sees a :class:`~streamrag.records.Document` (stories, jobs
and polls become ``kind="story"``, comments and poll options ``kind="comment"`` under their root story), a
:class:`~streamrag.records.Deletion` (deleted or dead items) or a :class:`~streamrag.records.Skip` (null or
malformed items), never an HN field name.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from streamrag.records import Deletion, Document, Skip

log = logging.getLogger(__name__)

STORY_TYPES = ("story", "job", "poll")  # items with their own title (and maybe an article URL)
COMMENT_TYPES = ("comment", "pollopt")  # items under a root story


@dataclass
class ItemEvent:
    """One Hacker News item as a source emitted it.

    ``item`` is exactly what ``GET /v0/item/<id>.json`` returned (``None`` when the API said ``null``).
    ``root_id``/``root_title`` name the story a comment belongs to (resolved by the source);
    for a story they are its own id and title. ``emitted_at`` is wall-clock ``time.time()`` when the
    source emitted the event: freshness lag is measured from it.
    """

    item_id: int
    item: dict[str, Any] | None
    emitted_at: float
    root_id: int | None = None
    root_title: str = ""

    @property
    def kind(self) -> str:
        """``story``, ``comment``, ``job``, ``poll``... or ``missing`` for a null item."""
        if not isinstance(self.item, dict):
            return "missing"
        kind = self.item.get("type")
        return kind if isinstance(kind, str) else "unknown"

    @property
    def is_gone(self) -> bool:
        """True for deleted or dead items: whatever was stored for them must be removed."""
        return isinstance(self.item, dict) and bool(self.item.get("deleted") or self.item.get("dead"))


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


def to_record(event: ItemEvent) -> Document | Deletion | Skip:
    """One HN item -> a Document, a Deletion (deleted/dead) or a Skip (null or malformed). Never raises.

    Malformed fields are tolerated where they can be: a non-string title or author is dropped (logged), a bad
    ``time``/``score`` becomes 0, a ``url`` that is not http(s) is forgotten; a non-string ``text`` or an
    unknown ``type`` skips the item (``bad_item:text``/``bad_item:type``).
    """
    item, at = event.item, event.emitted_at
    if item is None:
        return Skip(event.item_id, "", "source", "null_item", at=at)
    if not isinstance(item, dict):
        return Skip(event.item_id, "", "parse", "bad_item:item", detail=type(item).__name__, at=at)
    if item.get("deleted"):
        return Deletion(event.item_id, "deleted", emitted_at=at)
    if item.get("dead"):
        return Deletion(event.item_id, "dead", emitted_at=at)

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

    if event.kind in STORY_TYPES:
        kind, title, root_id = "story", fields["title"], event.item_id
    elif event.kind in COMMENT_TYPES:
        parent = _coerce_int(item.get("parent")) or None
        kind = "comment"
        title = event.root_title if isinstance(event.root_title, str) else ""
        root_id = event.root_id if isinstance(event.root_id, int) and event.root_id else (parent or event.item_id)
    else:
        return Skip(event.item_id, url, "parse", "bad_item:type", detail=repr(item.get("type"))[:80], at=at)
    return Document(item_id=event.item_id, kind=kind, root_id=root_id, title=title, html=fields["text"], url=url,
                    author=fields["by"], time=fields["time"], score=fields["score"], emitted_at=at)
