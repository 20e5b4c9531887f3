"""Read infra/template.yaml: YAML with CloudFormation's short forms (!Sub, !Ref, !GetAtt, ...).

deploy/ reads it for the stack's parameters, devstack/infra.py to apply it locally.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]  # types-PyYAML is not in requirements-dev.txt


class TemplateError(Exception):
    """The template or the parameters cannot be applied."""


class _Loader(yaml.SafeLoader):  # type: ignore[misc, unused-ignore]  # (Any without types-PyYAML)
    """YAML loader that turns the short forms (!Sub, !GetAtt, ...) into their long forms."""


def _intrinsic(loader: _Loader, tag: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type, unused-ignore]
    return {tag if tag in ("Ref", "Condition") else f"Fn::{tag}": value}


_Loader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (safe subclass)
    if not isinstance(doc, dict) or "Resources" not in doc:
        raise TemplateError(f"{path}: not a CloudFormation template")
    return doc
