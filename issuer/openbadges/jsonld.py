"""JSON-LD processing with local contexts only: RDF canonicalisation (RDFC-1.0) and the check
that a document uses no term its contexts leave undefined (spec digest sections 5.1, 6.3.6).

Contexts come from a folder of files listed in its ``index.json``; a document naming any other
context is refused, so nothing is ever fetched from the network while signing or verifying.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyld import jsonld

# Credentials v2 maps every term it does not define here (its @vocab) instead of dropping it.
UNDEFINED_VOCAB = "https://www.w3.org/ns/credentials/issuer-dependent#"


class JsonLdError(ValueError):
    """A document cannot be processed as JSON-LD with the local contexts."""


class UnknownContextError(JsonLdError):
    """A document names a context that is not among the local ones."""


class UndefinedTermError(JsonLdError):
    """A document uses terms that none of its contexts defines."""


@dataclass(frozen=True, eq=False)
class Contexts:
    """The JSON-LD context documents that may be used, by URL (hashed by identity)."""

    documents: Mapping[str, Any]

    def load(self, url: str, _options: object = None) -> dict[str, Any]:
        """Serve a context to PyLD (its document loader interface); refuse any other URL."""
        document = self.documents.get(url)
        if document is None:
            raise UnknownContextError(f"the JSON-LD context {url} is not one this server knows")
        return {"contextUrl": None, "documentUrl": url, "document": document}


def load_contexts(directory: Path) -> Contexts:
    """Read the contexts listed in ``directory/index.json``."""
    index = json.loads((directory / "index.json").read_text(encoding="utf-8"))
    return Contexts(
        {
            url: json.loads((directory / entry["file"]).read_text(encoding="utf-8"))
            for url, entry in index["contexts"].items()
        }
    )


def canonicalize(document: Mapping[str, Any], contexts: Contexts) -> bytes:
    """Return the RDFC-1.0 (URDNA2015) canonical N-Quads of a document, as UTF-8."""
    try:
        quads = jsonld.normalize(
            dict(document),
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": contexts.load,
            },
        )
    except jsonld.JsonLdError as error:
        raise _reason(error) from None
    return str(quads).encode("utf-8")


def expand(document: Mapping[str, Any], contexts: Contexts) -> list[Any]:
    """Expand a document; UndefinedTermError when a term is dropped or left undefined."""
    dropped: list[str] = []
    try:
        expanded = jsonld.expand(
            dict(document),
            {"documentLoader": contexts.load},
            on_property_dropped=lambda term: dropped.append(str(term)),
        )
    except jsonld.JsonLdError as error:
        raise _reason(error) from None
    undefined = sorted(set(dropped) | set(_undefined_iris(expanded)))
    if undefined:
        raise UndefinedTermError(
            "terms no context defines: " + ", ".join(undefined[:10]) + _more(undefined)
        )
    result: list[Any] = expanded
    return result


def _undefined_iris(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _undefined_iris(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key.startswith(UNDEFINED_VOCAB):
                yield key.removeprefix(UNDEFINED_VOCAB)
            if key == "@type":
                types = value if isinstance(value, list) else [value]
                yield from (
                    t.removeprefix(UNDEFINED_VOCAB)
                    for t in types
                    if isinstance(t, str) and t.startswith(UNDEFINED_VOCAB)
                )
            elif key != "@value":
                yield from _undefined_iris(value)


def _more(items: list[str]) -> str:
    return f" and {len(items) - 10} more" if len(items) > 10 else ""


def _reason(error: Exception) -> JsonLdError:
    # PyLD wraps the loader's error in its own, possibly several levels deep.
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, UnknownContextError):
            return cause
        details = getattr(cause, "details", None)
        nested = details.get("cause") if isinstance(details, dict) else None
        cause = nested if isinstance(nested, BaseException) else cause.__cause__
    return JsonLdError(f"not valid JSON-LD: {getattr(error, 'message', error)}")
