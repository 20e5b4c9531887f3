"""The commands that change something: delete, dead-letters (--redrive), resend."""

from __future__ import annotations

import logging
from typing import Any

import click

from chalicelib.core.form_choices import known_form_names
from chalicelib.core.wall_store import WallStore
from letterbox import erase, queues, resend
from letterbox.commands_read import find
from letterbox.run import Run, run_from, submission_id, where_options

log = logging.getLogger("letterbox")
KIND_NAMES = {
    "submission": "the submission",
    "attachments": "attachments",
    "markers": "notification marker",
    "uploads": "uploads",
    "wall": "its entry on the public wall",
    "decisions": "the wall's decision",
}


@click.command(
    "delete",
    short_help="Forget one submission, everything stored of it.",
    epilog="""\b
Examples:
  letterbox --stage prod delete 01KAX3Z8W6V1R2F7D9QH0M4N5P
  letterbox --stage prod delete 01KAX3Z8W6V1R2F7D9QH0M4N5P --yes

\b
It removes the submission, its attachments, its notification marker, any upload left
behind and its entry on the public wall (the wall's feed is built again without it), with
every old version when the bucket keeps versions. Emails already sent are in the organizers'
mailboxes: delete them there too.""",
)
@click.argument("submission", metavar="ID", callback=submission_id)
@click.option("--yes", is_flag=True, help="Do not ask before deleting.")
@where_options
@click.pass_context
def delete_command(ctx: click.Context, /, submission: str, yes: bool, **where: Any) -> None:
    """Forget one submission: everything letterbox stored of it (a supporter's right to be forgotten)."""
    run = run_from(ctx, **where)
    s3, bucket = run.target.s3, run.target.bucket
    plan = erase.find_everything(s3, bucket, submission, known_form_names())
    if not plan.everything:
        raise click.ClickException(f"nothing of {submission} is stored in {run.target.label}")
    described = describe(plan)
    if not yes:
        run.out.note(f"In {run.target.label}, this deletes for good: {described}.")
        click.confirm("Delete it?", abort=True, err=True)
    removed = erase.erase(s3, bucket, plan)
    if left := erase.find_everything(s3, bucket, submission, known_form_names()).everything:
        raise click.ClickException(f"{len(left)} object versions of {submission} are still there: run delete again")
    log.info("deleted submission id=%s versions=%d", submission, removed)
    for form in plan.wall_forms:
        WallStore(s3, bucket, run.forms).rebuild(form)  # the feed without it, and no older feed that still names it
    if run.out.as_json:
        run.out.json(
            {
                "id": submission,
                "removed": {kind: [v.key for v in found] for kind, found in plan.kinds().items()},
                "versions": removed,
            }
        )
    else:
        run.out.line(f"Deleted {submission}: {described}. Nothing of it is left in {run.target.label}.")


def describe(plan: erase.ErasePlan) -> str:
    """ "the submission (1 object, 2 versions), attachments (2 objects, 2 versions)...": what a delete removes."""
    parts = []
    for kind, found in plan.kinds().items():
        if found:
            objects, versions = len({v.key for v in found}), len(found)
            parts.append(f"{KIND_NAMES[kind]} ({plural(objects, 'object')}, {plural(versions, 'version')})")
    return ", ".join(parts)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


@click.command(
    "dead-letters",
    short_help="Notifications that failed; --redrive sends them again.",
    epilog="""\b
Examples:
  letterbox --stage prod dead-letters
  letterbox --stage prod dead-letters --redrive

\b
A notification lands there after five failed tries (SES refused, a wrong sender...). The
reason is in the notify function's log: search it for id=<the id>. "receives" counts every
delivery, each look with this command included. Fix the cause, then
--redrive: each submission is then emailed once (never twice: the notification marker sees to it).""",
)
@click.option("--redrive", is_flag=True, help="Send them all back to the notify queue.")
@where_options
@click.pass_context
def dead_letters_command(ctx: click.Context, /, redrive: bool, **where: Any) -> None:
    """What waits in the dead-letter queue (ids, forms, tries; never content), and sending it back."""
    run = run_from(ctx, **where)
    target = run.target
    waiting = queues.peek(target.sqs, target.dead_letter_queue_url)
    rows = [dead_letter_row(run, letter, announced) for letter in waiting for announced in announced_or_none(letter)]
    if redrive:
        moved, failed = queues.redrive(target.sqs, target.dead_letter_queue_url, target.notify_queue_url)
        log.info("redrive moved=%d failed=%d", moved, failed)
    if run.out.as_json:
        result: dict[str, Any] = {"dead_letters": rows}
        if redrive:
            result.update(moved=moved, failed=failed)
        run.out.json(result)
    else:
        columns = ["submission", "form", "receives", "waiting since", "marker"]
        if rows:
            run.out.table(columns, [[r["id"], r["form"], str(r["receives"]), r["since"], r["marker"]] for r in rows])
        run.out.note(f"{len(waiting)} message(s) in the dead-letter queue of {target.label}")
    if redrive and not run.out.as_json:
        run.out.line(
            f"Moved {moved} message(s) back to the notify queue."
            + (f" {failed} could not be moved: run it again." if failed else "")
        )
    if redrive and failed:
        raise click.ClickException(f"{failed} message(s) are still in the dead-letter queue")


def announced_or_none(letter: queues.DeadLetter) -> list[queues.Announced | None]:
    return list(letter.announced) or [None]


def dead_letter_row(run: Run, letter: queues.DeadLetter, announced: queues.Announced | None) -> dict[str, Any]:
    since = letter.first_sent.strftime("%Y-%m-%d %H:%M UTC") if letter.first_sent else ""
    if letter.digest is not None:
        digest = letter.digest
        return {
            "message": letter.message_id,
            "id": f"(digest {digest.period.name})",
            "form": digest.form,
            "receives": letter.receives,
            "since": since,
            "marker": resend.marker_state(run.target.s3, run.target.bucket, digest.marker_id),
        }
    if announced is None:
        what = "(an S3 test event)" if letter.readable else "(not an S3 event)"
        return {
            "message": letter.message_id,
            "id": what,
            "form": "",
            "receives": letter.receives,
            "since": since,
            "marker": "",
        }
    marker = resend.marker_state(run.target.s3, run.target.bucket, announced.submission_id)
    return {
        "message": letter.message_id,
        "id": announced.submission_id,
        "form": announced.form,
        "receives": letter.receives,
        "since": since,
        "marker": marker,
    }


@click.command(
    "resend",
    short_help="Email the organizers about one submission again.",
    epilog="""\b
Example:
  letterbox --stage prod resend 01KAX3Z8W6V1R2F7D9QH0M4N5P

\b
It refuses while an email for the submission is being sent (try again in a few minutes).""",
)
@click.argument("submission", metavar="ID", callback=submission_id)
@where_options
@click.pass_context
def resend_command(ctx: click.Context, /, submission: str, **where: Any) -> None:
    """Email the organizers about one submission again, on purpose."""
    run = run_from(ctx, **where)
    target = run.target
    found = find(run, submission)
    record = found.record
    released = resend.release_marker(target.s3, target.bucket, submission)
    message_id = queues.announce(target.sqs, target.notify_queue_url, target.bucket, found.key)
    log.info("resend queued form=%s id=%s previous=%s message=%s", record.form, submission, released.state, message_id)
    if run.out.as_json:
        run.out.json({"id": submission, "form": record.form, "previous_marker": released.state, "message": message_id})
        return
    before = {"none": "it had not been emailed yet", "sent": "it was emailed before"}.get(
        released.state, f"its last try was left {released.state}"
    )
    run.out.line(
        f"Queued a new email about {submission} ({record.form}); {before}. It goes out within a minute or two."
    )
