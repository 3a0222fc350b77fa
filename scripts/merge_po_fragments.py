"""Maintainer tool: fill empty msgstr entries of the zh_Hans_CN catalog from PO fragments (no header needed).

    .venv/bin/python scripts/merge_po_fragments.py FRAGMENT.po [...]
Run scripts/translations first so the catalog holds the new msgids.
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).resolve().parent.parent / "exam_center/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def main(fragments: list[str]) -> None:
    with open(CATALOG, "rb") as handle:
        catalog = read_po(handle)
    filled = 0
    for fragment in fragments:
        with open(fragment, "rb") as handle:
            for message in read_po(handle):
                target = catalog.get(message.id) if message.id else None
                if target is not None and message.string and not target.string:
                    target.string = message.string
                    filled += 1
    with open(CATALOG, "wb") as handle:
        write_po(handle, catalog, sort_output=True, no_location=True, width=120)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"filled {filled}; still untranslated: {len(missing)}")
    for msgid in missing:
        print(f"  {msgid!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
