"""`letterbox keygen`: a new age identity for an organizer, and the recipient letterbox.toml needs."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

# Only its owner may read a secret key: what age-keygen's own files get too.
PRIVATE = 0o600


@click.command(
    "keygen",
    short_help="Make an age key to read encrypted forms.",
    epilog="""\b
Example:
  letterbox keygen --out ~/letterbox-key.txt
Then put the printed age1... recipient in letterbox.toml, under the form: encrypt_to = ["age1..."].""",
)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Write the new identity here."
)
def keygen_command(out: Path) -> None:
    """Write a new age identity to FILE (readable by you only) and print its public recipient.

    Keep the file safe and backed up: without it nothing can read what the form received.
    """
    from chalicelib.core.sealing import new_identity

    secret, recipient = new_identity()
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    text = f"# created: {now}\n# public key: {recipient}\n{secret}\n"
    try:
        # O_EXCL: an existing key is never overwritten; 0o600 from the first byte, not chmod after.
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        raise click.ClickException(f"{out} exists already: letterbox keygen never overwrites a key") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.chmod(out, PRIVATE)  # a umask cannot have widened it, but say so plainly
    click.echo(f"Wrote a new age identity to {out} (only you can read it). Keep it safe: it cannot be recovered.")
    click.echo("Put this recipient in letterbox.toml, under the form's table:")
    click.echo(f'encrypt_to = ["{recipient}"]')
