"""`letterbox wall ...`: moderate the public wall of a form (pending, approve, reject, remove, list)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

from chalicelib.core.wall import wall_fields
from chalicelib.core.wall_store import WallStore
from letterbox import catalog, fields, wall_edits
from letterbox.catalog import Span
from letterbox.commands_read import find, identity_option, reader_for, received
from letterbox.run import Run, run_from, submission_id, where_options

log = logging.getLogger("letterbox")


@click.group("wall", short_help="Publish consenting reports on the form's public wall.")
def wall_group() -> None:
    """The public wall: reports whose supporters agreed to publish, approved one by one.

    Only the form's public fields are published (x-letterbox.public_fields in its schema), never
    a name, an email address or a file. The feed is GET /forms/{form}/wall (and /wall.atom).
    """


def wall_forms(run: Run, form: str | None) -> list[str]:
    names = [form] if form else [f.name for f in run.forms if wall_fields(f) is not None]
    for name in names:
        wall_edits.wall_of(run.form(name))  # a form without a wall is named, not silently empty
    return names


def store_of(run: Run) -> WallStore:
    return WallStore(run.target.s3, run.target.bucket, run.forms)


def feed_note(run: Run, form: str, feed: dict[str, Any]) -> None:
    run.out.note(f"the wall of {form} now shows {feed['counts']['entries']} report(s): GET /forms/{form}/wall")


@wall_group.command("pending", short_help="Consenting reports not decided yet.")
@click.option("--form", help="Only this form.")
@identity_option
@where_options
@click.pass_context
def pending_command(ctx: click.Context, /, form: str | None, identity_files: tuple[Path, ...], **where: Any) -> None:
    """Reports whose supporters ticked the consent box and that nobody approved or rejected yet, newest first."""
    run = run_from(ctx, **where)
    store, reader, rows = store_of(run), reader_for(run, identity_files), []
    for name in wall_forms(run, form):
        decided, consent = store.decided(name), wall_edits.wall_of(run.form(name))
        found = catalog.entries(run.target.s3, run.target.bucket, [name], Span(), newest_first=True)
        for _, record in reader.read_many(entry for entry in found if entry.id not in decided):
            if not record.is_encrypted and consent.consented(record.data):
                rows.append((record, fields.summary(record, run.form(name), run.lang(name))))
    if reader.sealed:
        run.out.note(f"{len(reader.sealed)} encrypted submission(s) not checked: add --identity FILE to see them")
    if run.out.as_json:
        run.out.json([{"id": r.id, "form": r.form, "received": r.received_at, "summary": s} for r, s in rows])
        return
    run.out.table(["id", "form", "received", "summary"], [[r.id, r.form, received(run.out, r), s] for r, s in rows])
    run.out.note(f"{len(rows)} report(s) wait for a decision in {run.target.label}")


@wall_group.command("approve", short_help="Publish one report's public fields.")
@click.argument("submission", metavar="ID", callback=submission_id)
@click.option("--set", "settings", multiple=True, metavar="FIELD=VALUE", help="Publish this value instead.")
@click.option("--edit", is_flag=True, help="Edit the public copy in $EDITOR before it is published.")
@identity_option
@where_options
@click.pass_context
def approve_command(
    ctx: click.Context,
    /,
    submission: str,
    settings: tuple[str, ...],
    edit: bool,
    identity_files: tuple[Path, ...],
    **where: Any,
) -> None:
    """Publish a report on its form's wall: only the public fields, as given or as you edit them."""
    run = run_from(ctx, **where)
    record = find(run, submission, reader_for(run, identity_files)).record
    form = run.form(record.form)
    copy = wall_edits.with_settings(form, wall_edits.publishable(record, form), settings)
    if edit:
        text = click.edit(json.dumps(copy, ensure_ascii=False, indent=2) + "\n", extension=".json")
        if text is None:
            raise click.ClickException("the editor was closed without saving: nothing was published")
        copy = wall_edits.with_edited_json(form, text)
    store = store_of(run)
    published = store.publish(record.form, record.id, copy)
    feed = store.add_to_feed(record.form, published)
    log.info("wall approved form=%s id=%s", record.form, record.id)
    if run.out.as_json:
        run.out.json({"published": published, "counts": feed["counts"]})
        return
    run.out.line(f"Published {record.id} on the wall of {record.form}: {', '.join(copy)}.")
    feed_note(run, record.form, feed)


@wall_group.command("reject", short_help="Decide that one report is not published.")
@click.argument("submission", metavar="ID", callback=submission_id)
@where_options
@click.pass_context
def reject_command(ctx: click.Context, /, submission: str, **where: Any) -> None:
    """Mark a report as not to be published (it leaves `pending`); if it was on the wall, take it down."""
    run = run_from(ctx, **where)
    record = find(run, submission).record
    wall_edits.wall_of(run.form(record.form))
    store = store_of(run)
    store.decide(record.form, record.id, "rejected")
    was_published = store.take_down(record.form, record.id)
    log.info("wall rejected form=%s id=%s", record.form, record.id)
    feed = store.rebuild(record.form) if was_published else None
    taken = " and took it down from the wall" if was_published else ""
    run.out.line(f"Rejected {record.id}{taken}: it will not be published.")
    if feed is not None:
        feed_note(run, record.form, feed)


@wall_group.command("remove", short_help="Take one published report down.")
@click.argument("submission", metavar="ID", callback=submission_id)
@where_options
@click.pass_context
def remove_command(ctx: click.Context, /, submission: str, **where: Any) -> None:
    """Take a published report off the wall at once (every stored version of its public copy)."""
    run = run_from(ctx, **where)
    store = store_of(run)
    on = [name for name in wall_forms(run, None) if store.is_published(name, submission)]
    if not on:
        raise click.ClickException(f"{submission} is not on any wall in {run.target.label}")
    for name in on:
        store.take_down(name, submission)
        store.decide(name, submission, "removed")
        log.info("wall removed form=%s id=%s", name, submission)
        feed = store.rebuild(name)
        run.out.line(f"Removed {submission} from the wall of {name}.")
        feed_note(run, name, feed)


@wall_group.command("list", short_help="What the wall shows now.")
@click.option("--form", help="Only this form.")
@where_options
@click.pass_context
def list_command(ctx: click.Context, /, form: str | None, **where: Any) -> None:
    """The published entries, newest first, exactly as the feed holds them."""
    run = run_from(ctx, **where)
    store = store_of(run)
    feeds = {name: store.feed(name) for name in wall_forms(run, form)}
    if run.out.as_json:
        run.out.json(feeds)
        return
    rows = [
        [item["id"], name, item["published_at"], fields.one_line(" / ".join(_values(item["fields"])))[:100]]
        for name, feed in feeds.items()
        for item in feed["entries"]
    ]
    run.out.table(["id", "form", "published", "public fields"], rows)
    for name, feed in feeds.items():
        counts = feed["counts"]
        run.out.note(f"{name}: {counts['entries']} report(s) from {counts['countries']} country(ies) on the wall")


@wall_group.command("rebuild", short_help="Render the wall's feed again from its entries.")
@click.option("--form", help="Only this form.")
@where_options
@click.pass_context
def rebuild_command(ctx: click.Context, /, form: str | None, **where: Any) -> None:
    """Render every page of the feed again from the published entries (after an upgrade, or a failed run)."""
    run = run_from(ctx, **where)
    store = store_of(run)
    for name in wall_forms(run, form):
        feed = store.rebuild(name)
        objects = feed["objects"]
        run.out.line(
            f"Rebuilt the wall of {name}: {objects['written']} page(s) written, {objects['unchanged']} unchanged."
        )
        feed_note(run, name, feed)


def _values(public: dict[str, Any]) -> list[str]:
    return ["; ".join(map(str, v)) if isinstance(v, list) else str(v) for v in public.values() if v not in ("", [])]
