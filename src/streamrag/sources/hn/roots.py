"""Find the story a comment belongs to by walking ``parent`` links, with a bounded cache."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Item = dict[str, Any]


@dataclass
class _Node:
    parent: int | None  # None for a root (story, job, poll)
    root_id: int | None  # None while the chain above this item is unknown
    root_title: str  # the title last seen for root_id (the root's own node is fresher when cached)


def _parent_of(item: Item) -> int | None:
    """``parent`` for comments, ``poll`` for poll options, None for roots."""
    for key in ("parent", "poll"):
        value = item.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _is_root(item: Item) -> bool:
    return _parent_of(item) is None and item.get("type") != "comment"


class RootResolver:
    """Annotate items with their root story's id and title.

    Keeps an LRU map ``id -> (parent, root_id, root_title)`` of the items it has seen (``observe``)
    or looked up. ``resolve`` walks parents through that map and calls ``lookup(id)`` only for ids
    it does not know, at most ``max_depth`` times per call. ``lookups`` counts the calls made.
    """

    def __init__(
        self,
        lookup: Callable[[int], Item | None],
        max_depth: int = 16,
        cache_size: int = 100_000,
    ) -> None:
        self._lookup = lookup
        self.max_depth = max_depth
        self.cache_size = max(1, cache_size)
        self._cache: OrderedDict[int, _Node] = OrderedDict()
        self.lookups = 0

    def __len__(self) -> int:
        return len(self._cache)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._cache

    # ---- cache -------------------------------------------------------------------------------

    def _get(self, item_id: int) -> _Node | None:
        node = self._cache.get(item_id)
        if node is not None:
            self._cache.move_to_end(item_id)
        return node

    def _put(self, item_id: int, node: _Node) -> None:
        self._cache[item_id] = node
        self._cache.move_to_end(item_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _title_of(self, root_id: int, fallback: str) -> str:
        root = self._cache.get(root_id)
        if root is not None and root.parent is None and root.root_title:
            return root.root_title
        return fallback

    def observe(self, item: Item | None, root_id: int | None = None, root_title: str = "") -> None:
        """Remember ``item``. Pass the ``root_id``/``root_title`` from ``resolve`` when known.

        Observing a new version of a story updates its title for every comment resolved later.
        """
        if not isinstance(item, dict):
            return
        item_id = item.get("id")
        if not isinstance(item_id, int) or isinstance(item_id, bool):
            return
        if _is_root(item):
            old = self._cache.get(item_id)
            title = item.get("title")
            if not isinstance(title, str) or not title:  # deleted stories lose their title: keep ours
                title = old.root_title if old is not None else ""
            self._put(item_id, _Node(None, item_id, title))
            return
        parent = _parent_of(item)
        old = self._cache.get(item_id)
        if root_id is None and old is not None and old.parent == parent:
            root_id, root_title = old.root_id, old.root_title
        self._put(item_id, _Node(parent, root_id, root_title))

    # ---- resolution --------------------------------------------------------------------------

    def resolve(self, item: Item | None) -> tuple[int | None, str, bool]:
        """Return ``(root_id, root_title, resolved)`` for ``item``.

        Stories resolve to themselves. When the chain breaks (an unknown parent, ``lookup`` gives
        None, or more than ``max_depth`` look-ups would be needed) the topmost id reached is
        returned with ``resolved=False``. A null item gives ``(None, "", False)``.
        """
        if not isinstance(item, dict):
            return None, "", False
        item_id = item.get("id")
        if _is_root(item):
            title = item.get("title")
            if not isinstance(title, str) or not title:
                title = self._title_of(item_id, "") if isinstance(item_id, int) else ""
            return item_id, title, True
        current = _parent_of(item)
        if current is None:  # a comment without parent: nothing to walk
            return item_id, "", False
        path: list[int] = []  # ids walked whose root we learn at the end
        seen: set[int] = {item_id} if isinstance(item_id, int) else set()
        lookups = 0
        while True:
            if current in seen:
                log.warning("parent cycle at item %s; leaving it unresolved", current)
                return current, "", False
            seen.add(current)
            node = self._get(current)
            if node is None:
                if lookups >= self.max_depth:
                    log.debug("root of item %s: gave up after %d look-ups at %s", item_id, lookups, current)
                    return current, "", False
                lookups += 1
                self.lookups += 1
                try:
                    fetched = self._lookup(current)
                except Exception as exc:  # a lookup must never break the stream
                    log.warning("root look-up of item %s failed: %s", current, exc)
                    fetched = None
                if not isinstance(fetched, dict):
                    return current, "", False
                self.observe(fetched)
                node = self._cache[current]
            if node.parent is None:
                title = node.root_title
                self._compress(path, current, title)
                return current, title, True
            if node.root_id is not None:
                title = self._title_of(node.root_id, node.root_title)
                self._compress(path, node.root_id, title)
                return node.root_id, title, True
            path.append(current)
            current = node.parent

    def _compress(self, path: list[int], root_id: int, title: str) -> None:
        """Remember the root for every cached node on the walked path (shorter walks next time)."""
        for nid in path:
            node = self._cache.get(nid)
            if node is not None:
                node.root_id, node.root_title = root_id, title

    def annotate(self, item: Item | None) -> tuple[int | None, str, bool]:
        """``resolve`` then ``observe``: what a source calls for every item it emits."""
        root_id, title, resolved = self.resolve(item)
        self.observe(item, root_id if resolved else None, title if resolved else "")
        return root_id, title, resolved
