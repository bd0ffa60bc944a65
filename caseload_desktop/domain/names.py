"""Names as they are compared: how a manager types them, and how an extract spells them."""

from __future__ import annotations

import unicodedata


def fold_name(text: str) -> str:
    """A name as compared: case, composition and odd spaces (non-breaking, doubled) folded, so
    "Sam  Reid" is "sam reid". The CLI's and the board's look-ups by name and the import's
    matching of teams and workers all fold alike."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    return " ".join(text.split()).casefold()
