"""`letterbox snippet FORM`: the HTML a web volunteer pastes into a page to embed a form.

Render mode is one element that letterbox.js fills from the form's definition. Enhance mode is
the whole form written out, as letterbox.js's render mode would build it (the same controls,
labels, required marks and honeypot), so that it also posts without JavaScript; the
volunteer can then restyle or reword it. Every value from the schema is HTML-escaped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from html import escape
from typing import Any

import click

from chalicelib.core import catalogs
from chalicelib.core.config_keys import ConfigError
from chalicelib.core.form_choices import FormChoices
from chalicelib.core.forms import FormDefinition, FormRegistry
from letterbox.run import Where
from letterbox.snippet_texts import SNIPPET_TEXTS

MODES = ("render", "enhance")
# Out of sight without an offset: a left:-9999px would scroll a right-to-left page sideways.
HIDDEN = "position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)"
# What render mode shows for a list of links: this many inputs written out (the schema's maxItems at most).
LIST_INPUTS = 3


def words(text: str) -> str:
    """Text between tags: <, > and & escaped, quotes kept as typed (they are safe there)."""
    return escape(text, quote=False)


def attribute(name: str, value: str | bool) -> str:
    if value is True:
        return f" {name}"
    return f' {name}="{escape(str(value))}"' if value else ""


def tag(element: str, /, **attrs: str | bool) -> str:
    """An opening tag; attribute names with _ are written with - (aria_describedby: aria-describedby)."""
    return f"<{element}" + "".join(attribute(key.rstrip("_").replace("_", "-"), v) for key, v in attrs.items()) + ">"


def id_prefix(form: str) -> str:
    """ "action-report": "ar"; ids on the page stay short and apart from another form's."""
    return "".join(part[0] for part in re.split(r"[-_]+", form) if part) or "lb"


class Snippet:
    def __init__(self, form: FormDefinition, lang: str, api: str, captcha: bool) -> None:
        self.form = form
        self.lang = lang
        self.texts = catalogs.Texts(SNIPPET_TEXTS, lang, "snippet.")
        self.api = api.rstrip("/")
        self.captcha = captcha
        self.prefix = id_prefix(form.name)

    def render_mode(self, script: str) -> str:
        lines = [
            f"{tag('script', src=script, defer=True)}</script>",
            tag("div", data_letterbox_form=self.form.name, data_endpoint=self.api, data_lang=self.lang),
            # What the element holds is shown until the script replaces it: with JavaScript off, this.
            f"  <noscript><p>{words(self.texts['noscript_render'])}</p></noscript>",
            "</div>",
        ]
        return "\n".join(lines) + "\n"

    def enhance_mode(self, script: str, next_url: str = "", extra: tuple[str, ...] = ()) -> str:
        """The form written out; `extra` lines go just before the captcha (the demo's local test token)."""
        # ?lang=: without JavaScript, the API's thank-you and error pages speak the form's language.
        action = f"{self.api}/forms/{self.form.name}/submissions?lang={self.lang}"
        lines = [f"{tag('script', src=script, defer=True)}</script>"]
        lines.append(
            tag("form", data_letterbox=True, action=action, method="post", data_lang=self.lang, class_="handmade")
        )
        if self.captcha:  # said before anything is typed: without JavaScript there is nothing to solve
            lines.append(f'  <noscript><p class="note">{words(self.texts["noscript_captcha"])}</p></noscript>')
        if next_url:
            lines.append("  " + tag("input", type="hidden", name="_next", value=next_url))
        required = set(self.form.schema.get("required", []))
        for name, prop in self.form.properties.items():
            lines += ["  " + line for line in self._field(name, prop, name in required)]
        lines += ["  " + line for line in self._honeypot()]
        lines += ["  " + line for line in extra]
        if self.captcha:
            lines.append("  <div data-letterbox-captcha></div>")
        submit = self.form.text("submit", self.lang) or self.texts["send"]
        lines += [f'  <button type="submit">{words(submit)}</button>', "</form>"]
        return "\n".join(lines) + "\n"

    def _field(self, name: str, prop: Mapping[str, Any], required: bool) -> list[str]:
        widget = prop.get("x-widget", "")
        if widget and widget != "textarea":
            return [f"<!-- {escape(name)}: files need render mode (letterbox.js builds the file field) -->"]
        field_id = f"{self.prefix}-{name.replace('_', '-')}"
        label = self.form.label(name, self.lang)
        help_id = f"{field_id}-help" if self.form.field_description(name, self.lang) else ""
        help_line = self._help(name, help_id)
        if prop.get("type") == "array":
            return self._list(name, prop, field_id, label, help_line, help_id)
        control = self._control(name, prop, field_id, help_id, required)
        mark = f' <span class="req" aria-hidden="true">({words(self.texts["required"])})</span>' if required else ""
        label_line = f'<label for="{escape(field_id)}">{words(label)}{mark}</label>'
        if prop.get("type") == "boolean":
            body = ['<div class="check">', f"  {control[0]}", f"  {label_line}", "</div>", *help_line]
        else:
            body = [label_line, *help_line, *control]
        return ['<div class="field">', *("  " + line for line in body), "</div>"]

    def _help(self, name: str, help_id: str) -> list[str]:
        if not help_id:
            return []
        return [
            f'<span class="help" id="{escape(help_id)}">{words(self.form.field_description(name, self.lang))}</span>'
        ]

    def _control(
        self, name: str, prop: Mapping[str, Any], field_id: str, help_id: str, required: bool = False
    ) -> list[str]:
        common: dict[str, str | bool] = {"id": field_id, "name": name, "required": required}
        common["aria_describedby"] = help_id
        if "enum" in prop:
            options = [f'  <option value="">{words(self.texts["choose"])}</option>']
            options += [
                f'  <option value="{escape(str(v))}">{words(self.form.enum_label(name, str(v), self.lang))}</option>'
                for v in prop["enum"]
            ]
            return [tag("select", **common), *options, "</select>"]
        if prop.get("x-widget") == "textarea":
            return [tag("textarea", **common, rows="6", maxlength=_length(prop)) + "</textarea>"]
        if prop.get("type") == "boolean":
            return [tag("input", type="checkbox", **common, value="true")]
        kind = {"date": "date", "email": "email", "uri": "url"}.get(str(prop.get("format", "")), "")
        numeric = prop.get("type") == "integer"
        return [
            tag(
                "input",
                type=kind,
                **common,
                maxlength="" if kind == "date" else _length(prop),
                inputmode="numeric" if numeric else "",
                pattern="[0-9]*" if numeric else "",
                autocomplete="email" if kind == "email" else "",
            )
        ]

    def _list(
        self, name: str, prop: Mapping[str, Any], field_id: str, label: str, help_line: list[str], help_id: str
    ) -> list[str]:
        """A fieldset of inputs for a list (of links): render mode's labels, one name for all."""
        lines = ['<fieldset class="links">', f"  <legend>{words(label)}</legend>", *("  " + h for h in help_line)]
        for n in range(1, min(LIST_INPUTS, int(prop.get("maxItems", LIST_INPUTS))) + 1):
            item_id = f"{field_id}-{n}"
            lines.append(f'  <label for="{escape(item_id)}">{words(label)} {n}</label>')
            lines += ["  " + line for line in self._control(name, prop.get("items", {}), item_id, help_id)]
        return [*lines, "</fieldset>"]

    def _honeypot(self) -> Iterator[str]:
        # Out of sight, out of the tab order, hidden from screen readers: only a robot fills it in.
        honeypot_id = f"{self.prefix}-gotcha"
        yield f'<div style="{HIDDEN}" aria-hidden="true">'
        yield f'  <label for="{honeypot_id}">{words(self.texts["honeypot"])}</label>'
        yield f'  <input id="{honeypot_id}" name="_gotcha" tabindex="-1" autocomplete="off">'
        yield "</div>"


def _length(prop: Mapping[str, Any]) -> str:
    return str(prop["maxLength"]) if isinstance(prop.get("maxLength"), int) else ""


def captcha_of(form: str, stage: str) -> bool:
    """Whether the stage's letterbox.toml gives the form a captcha (a form it cannot read: yes)."""
    try:
        return FormChoices.from_env({**os.environ, "LETTERBOX_STAGE": stage}).options_for(form).captcha != "off"
    except ConfigError:
        return True


@click.command(
    "snippet",
    short_help="The HTML that embeds a form in a page, ready to paste.",
    epilog="""\b
Examples:
  letterbox snippet action-report --api https://abc123.execute-api.eu-central-1.amazonaws.com/api
  letterbox snippet letter-copy --mode enhance --lang ru --api https://… --next https://campaign.example/thanks""",
)
@click.argument("form_name", metavar="FORM")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="render",
    show_default=True,
    help="render: letterbox.js builds the form; enhance: the whole form written out, to restyle.",
)
@click.option("--lang", type=click.Choice(catalogs.languages()), help="The form's language (default: English).")
@click.option("--api", "api", required=True, metavar="URL", help="The API's address, as `make deploy` printed it.")
@click.option(
    "--script", metavar="URL", default="/letterbox.js", show_default=True, help="Where your site serves letterbox.js."
)
@click.option(
    "--next",
    "next_url",
    metavar="URL",
    default="",
    help="Enhance mode, without JavaScript: the page shown after sending (default: the API's own).",
)
@click.option("--stage", metavar="NAME", help="The stage whose letterbox.toml says if the form has a captcha (prod).")
@click.pass_context
def snippet_command(
    ctx: click.Context,
    /,
    form_name: str,
    mode: str,
    lang: str | None,
    api: str,
    script: str,
    next_url: str,
    stage: str | None,
) -> None:
    """Print the HTML that embeds FORM, for pasting into a page of a site the form allows."""
    given: Where = ctx.find_object(Where) or Where()
    form = FormRegistry.load(validators=False).get(form_name)
    if form is None:
        raise click.BadParameter(f"no form {form_name!r} in schemas/", param_hint="FORM")
    chosen_stage = stage or given.stage or ("dev" if given.local else "prod")
    snippet = Snippet(form, lang or given.lang or "en", api, captcha_of(form_name, chosen_stage))
    click.echo(snippet.enhance_mode(script, next_url) if mode == "enhance" else snippet.render_mode(script), nl=False)
