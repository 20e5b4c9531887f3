"""The translation catalogs (chalicelib/locale/): made from the texts in the code, checked, compiled. Uses Babel.

    python scripts/catalogs.py update      add new texts to every catalog, mark changed ones, drop removed ones
    python scripts/catalogs.py compile     write each catalog's letterbox.mo (what the functions read)
    python scripts/catalogs.py check       list what is missing, stale or wrong; exit 1 if anything is;
                                           then how many entries of each language wait for a review
    python scripts/catalogs.py new LANG    start the catalog of a new language (plural rules from CLDR)

`make catalogs` runs update then compile. A text is known by its key (the msgctxt); the English is
its msgid. A translation nobody has reviewed carries the translator comment UNREVIEWED (`# UNREVIEWED: …`);
the mark anywhere else (an extracted comment, a flag, the text) is a mistake `check` names.
"""

from __future__ import annotations

import importlib
import io
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.core.catalogs import DOMAIN, LOCALE_DIR  # noqa: E402 (after the path is set)
from chalicelib.core.form_texts import english_texts  # noqa: E402
from chalicelib.core.forms import FormRegistry  # noqa: E402

# Where the code keeps its English (module:name of a dict key -> text, or -> (singular, plural)), and the
# prefix that sets its keys apart in the catalogs (chalicelib.core.catalogs.Texts), in the catalogs' order.
REGISTRIES = {
    "letterbox.snippet_texts:SNIPPET_TEXTS": "snippet.",
    "chalicelib.intake.texts:MESSAGES": "",
    "chalicelib.notify.email_texts:TEXTS": "email.",
    "chalicelib.notify.email_texts:DIGEST_TEXTS": "digest.",
    "chalicelib.notify.email_texts:WALL_TEXTS": "email.wall_",
    "chalicelib.intake.review_texts:REVIEW_TEXTS": "review.",
    "chalicelib.intake.embed_texts:EMBED_TEXTS": "embed.",
}
UNREVIEWED = "UNREVIEWED: not yet checked by a native speaker"
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
WIDTH = 120

Text = str | tuple[str, str]


def registered() -> dict[str, Text]:
    """Every text of the code, by key; a key in two registries is a mistake."""
    found: dict[str, Text] = {}
    for registry, prefix in REGISTRIES.items():
        module, _, name = registry.partition(":")
        texts: Mapping[str, Text] = getattr(importlib.import_module(module), name)
        for key, english in texts.items():
            if prefix + key in found:
                raise SystemExit(f"text {prefix + key!r} is in two registries")
            found[prefix + key] = english
    # The forms' texts, from the English of each schema in schemas/ (chalicelib/core/form_texts.py).
    for form in FormRegistry.load(validators=False):
        found.update(english_texts(form))
    return found


def template() -> Catalog:
    catalog = Catalog(domain=DOMAIN, project="letterbox", charset="utf-8")
    for key, english in registered().items():
        catalog.add(english, context=key)
    return catalog


def catalog_paths() -> dict[str, Path]:
    return {path.parent.parent.name: path for path in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))}


def read(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=path.parent.parent.name, domain=DOMAIN)


def written(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=WIDTH, omit_header=False, sort_output=False, ignore_obsolete=False)
    return out.getvalue()


def compiled(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def update() -> None:
    for lang, path in catalog_paths().items():
        catalog = read(path)
        source = template()
        source.creation_date = catalog.creation_date  # a run that changes nothing rewrites nothing
        catalog.update(source, no_fuzzy_matching=True, update_header_comment=False)
        _header(catalog)
        path.write_bytes(written(catalog))
        print(f"updated {path.relative_to(ROOT)} ({lang})")


def _header(catalog: Catalog) -> None:
    """The header's fields that are Babel's placeholders otherwise; never fuzzy (the .mo would lose its plurals)."""
    catalog.fuzzy = False
    catalog.msgid_bugs_address = "the campaign's developers (README, Languages)"
    catalog.last_translator = "letterbox"
    catalog.language_team = f"letterbox {catalog.locale}"


def compile_all() -> None:
    for path in catalog_paths().values():
        path.with_suffix(".mo").write_bytes(compiled(read(path)))
        print(f"compiled {path.with_suffix('.mo').relative_to(ROOT)}")


def new(lang: str) -> None:
    locale = Locale.parse(lang)
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if path.exists():
        raise SystemExit(f"{path.relative_to(ROOT)} exists")
    catalog = Catalog(locale=locale, domain=DOMAIN, project="letterbox", version="2", charset="utf-8")
    catalog.update(template(), no_fuzzy_matching=True)
    _header(catalog)
    path.parent.mkdir(parents=True)
    path.write_bytes(written(catalog))
    print(f"started {path.relative_to(ROOT)} ({locale.english_name}, {catalog.plural_forms})")


def problems() -> Iterator[str]:
    """What stops a catalog from being complete and right: each as one line naming the file and the key."""
    source = registered()
    for path in catalog_paths().values():
        where = path.relative_to(ROOT)
        catalog = read(path)
        keys = {message.context: message for message in catalog if message.id and message.context}
        for key in source.keys() - keys.keys():
            yield f"{where}: {key}: missing (run `make catalogs`, then translate it)"
        for key in keys.keys() - source.keys():
            yield f"{where}: {key}: no code uses it any more (run `make catalogs`)"
        for key, message in keys.items():
            if key in source:
                yield from _entry_problems(where, key, message, source[key], catalog.num_plurals)
            yield from _mark_problems(where, key, message)
        mo = path.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(catalog):
            yield f"{mo.relative_to(ROOT)}: not compiled from the catalog as it is (run `make catalogs`)"


def _entry_problems(where: Path, key: str, message: Message, english: Text, plurals: int) -> Iterator[str]:
    if message.id != english:
        yield f"{where}: {key}: its English changed (run `make catalogs`, then check the translation)"
        return
    if message.fuzzy:
        yield f"{where}: {key}: marked fuzzy: check the translation and remove the flag"
    strings = list(message.string) if isinstance(message.string, tuple | list) else [message.string]
    if isinstance(english, tuple) and len(strings) != plurals:
        yield f"{where}: {key}: {len(strings)} plural forms, the language has {plurals}"
    wanted = set(PLACEHOLDER.findall(english if isinstance(english, str) else english[1]))
    for string in strings:
        if not string:
            yield f"{where}: {key}: not translated"
        elif (given := set(PLACEHOLDER.findall(string))) != wanted:
            yield f"{where}: {key}: placeholders {sorted(given)}, the English has {sorted(wanted)}"


def _mark_problems(where: Path, key: str, message: Message) -> Iterator[str]:
    """UNREVIEWED is a translator comment, word for word, so that tools and `check` can count what waits."""
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    elsewhere = [*message.auto_comments, *message.flags, *strings]
    if any("unreviewed" in text.lower() for text in elsewhere):
        yield f"{where}: {key}: UNREVIEWED must be a translator comment (# {UNREVIEWED})"
    if any("unreviewed" in comment.lower() and comment != UNREVIEWED for comment in message.user_comments):
        yield f"{where}: {key}: write the mark as # {UNREVIEWED}"


def unreviewed() -> dict[str, int]:
    """How many entries of each catalog carry the mark UNREVIEWED: what waits for a native speaker."""
    return {
        lang: sum(UNREVIEWED in message.user_comments for message in read(path) if message.id)
        for lang, path in catalog_paths().items()
    }


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "new" and len(argv) == 2:
        new(argv[1])
    elif command == "check":
        found = list(problems())
        print("\n".join(found) if found else "every catalog is complete and compiled")
        waiting = ", ".join(f"{lang} {count}" for lang, count in unreviewed().items() if count)
        if waiting:
            print(f"entries waiting for a native speaker's review (# UNREVIEWED): {waiting}")
        return 1 if found else 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
