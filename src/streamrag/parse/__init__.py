"""Parse stage: article HTML and inline bodies -> clean text -> token-bounded chunks.

Modules, in the order a page goes through them: :mod:`.html` (decode, keep the main content),
:mod:`.text` (Unstructured elements -> clean text), :mod:`.chunk` (chunks in model tokens), and
:mod:`.parser` (:class:`Parser`: one document and its page -> chunks, what the flow calls).
"""

from .html import ParseError
from .parser import Parser

__all__ = ["ParseError", "Parser"]
