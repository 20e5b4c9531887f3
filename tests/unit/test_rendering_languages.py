"""The organizers' email in each shipped language: its words from the catalogs, its dates as ISO in every one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from chalicelib.core.digest_periods import DigestChoice, Period
from chalicelib.core.form_choices import FormOptions
from chalicelib.core.forms import FormRegistry
from chalicelib.core.record import SubmissionRecord
from chalicelib.notify.digest_email import DigestContent, render_digest
from chalicelib.notify.rendering import FileContent, Files, render_notification
from chalicelib.notify.s3_events import StoredObject

RECEIVED = "2026-11-14T18:03:12.345Z"
DATA = {"kind": "embassy", "date": "2026-11-14", "city": "Berlin", "description": "A letter to the consul."}
PDF = b"%PDF-1.4\n%%EOF\n"


def arrived(lang: str, attached: int) -> EmailMessage:
    form = FormRegistry.load(validators=False).get("action-report")
    assert form is not None
    record = SubmissionRecord(
        id="01KAX3Z8W6V1R2F7D9QH0M4N5P", form=form.name, schema_version=form.version, received_at=RECEIVED, data=DATA
    )
    source = StoredObject("bucket", f"submissions/{form.name}/2026/11/14/{record.id}.json")
    files = Files(attached=[FileContent(f"{n}.pdf", "application/pdf", PDF) for n in range(attached)])
    options = FormOptions(organizers=("a@example.org",), lang=lang)
    message = render_notification(record, source, form, options, "letterbox@example.org", ("a@example.org",), files)
    found = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(found, EmailMessage)
    return found


@pytest.mark.parametrize(
    ("lang", "subject", "received", "one_file", "two_files"),
    [
        (
            "fr",
            # The catalog's no-break space before the colon: a header's spaces are all plain ones (rendering._clean).
            "Compte rendu d’action : Visite à une ambassade ou à un consulat, Berlin, 2026-11-14",
            "Reçu",
            "1 fichier est joint à ce message.",
            "2 fichiers sont joints à ce message.",
        ),
        (
            "de",
            "Aktionsbericht: Besuch bei einer Botschaft oder einem Konsulat, Berlin, 2026-11-14",
            "Eingegangen",
            "1 Datei ist an diese E-Mail angehängt.",
            "2 Dateien sind an diese E-Mail angehängt.",
        ),
        (
            "es",
            "Informe de acción: Visita a una embajada o un consulado, Berlin, 2026-11-14",
            "Recibido",
            "Este correo lleva 1 archivo adjunto.",
            "Este correo lleva 2 archivos adjuntos.",
        ),
    ],
)
def test_the_email_speaks_the_forms_email_lang_and_keeps_dates_iso(
    lang: str, subject: str, received: str, one_file: str, two_files: str
) -> None:
    one, two = arrived(lang, 1), arrived(lang, 2)

    assert str(one["Subject"]) == subject
    plain, html = one.get_body(("plain",)), one.get_body(("html",))
    assert plain is not None
    assert html is not None
    # A date as ISO 8601 reads the same in every language: no month name to translate.
    assert f"{received}: {RECEIVED}" in plain.get_content()
    assert one_file in plain.get_content()
    assert html.get_content().startswith(f'<!doctype html><html lang="{lang}"><head>')
    two_plain = two.get_body(("plain",))
    assert two_plain is not None
    assert two_files in two_plain.get_content()


def digest(lang: str, count: int) -> tuple[str, str]:
    """A daily digest of `count` reports in `lang`, Berlin time: its subject and its plain text."""
    form = FormRegistry.load(validators=False).get("action-report")
    assert form is not None
    start = datetime(2026, 11, 13, 23, tzinfo=UTC)  # midnight in Berlin
    records = [
        SubmissionRecord(
            id=f"01KAX3Z8W6V1R2F7D9QH0M4N{n}P",
            form=form.name,
            schema_version=form.version,
            received_at=RECEIVED,
            data=DATA,
        )
        for n in range(count)
    ]
    content = DigestContent(
        period=Period(start, start + timedelta(days=1)),
        form=form,
        options=FormOptions(organizers=("a@example.org",), lang=lang),
        choice=DigestChoice(notify="daily", timezone="Europe/Berlin"),
        records=records,
        unread=[],
        bucket="b",
    )
    message = message_from_bytes(
        render_digest(content, "letterbox@example.org", ["a@example.org"]).as_bytes(), policy=policy.default
    )
    assert isinstance(message, EmailMessage)
    plain = message.get_body(("plain",))
    assert plain is not None
    return str(message["Subject"]), plain.get_content()


def test_a_digest_counts_in_the_language_and_labels_its_period_in_iso_local_time() -> None:
    subject, plain = digest("de", 2)
    _, one = digest("fr", 1)
    _, several = digest("fr", 3)

    assert subject == "Tägliche Übersicht: Eine Aktion melden, neue Einsendungen: 2, 2026-11-14 00:00–2026-11-15 00:00"
    assert (
        "Zwischen 2026-11-14 00:00 und 2026-11-15 00:00 (Europe/Berlin) sind über das Formular „Eine Aktion melden“ "
        "2 Einsendungen eingegangen."
    ) in " ".join(plain.split())
    assert f"Nr. 01KAX3Z8W6V1R2F7D9QH0M4N0P, eingegangen am {RECEIVED}" in plain
    intro = "par le formulaire «\u00a0Signaler une action\u00a0» entre le 2026-11-14 00:00 et le 2026-11-15 00:00"
    assert one.startswith(f"1 envoi est arrivé {intro} (Europe/Berlin).\n")
    assert several.startswith(f"3 envois sont arrivés {intro} (Europe/Berlin).\n")
