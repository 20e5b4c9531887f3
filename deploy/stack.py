"""The CloudFormation stack letterbox-<stage>: created or updated through a change set, described, deleted."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError, WaiterError

from infra.template import load_template  # reads the template's short forms (!Sub, !Ref)

from . import policies

APP_NAME = policies.APP_NAME
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


class DeployError(Exception):
    """Deploying or tearing down stopped; the message says why and what to do."""


@dataclass(frozen=True)
class Stack:
    name: str
    status: str
    outputs: dict[str, str]
    parameters: dict[str, str]

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> Stack:
        return cls(
            name=str(description["StackName"]),
            status=str(description["StackStatus"]),
            outputs={o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])},
            parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in description.get("Parameters", [])},
        )


def stack_name(stage: str) -> str:
    return f"{APP_NAME}-{stage}"


def stack_parameters(declared: Iterable[str], given: Mapping[str, str], exists: bool) -> list[dict[str, Any]]:
    """CloudFormation parameters: the given values; on update the others keep their previous values."""
    if unknown := set(given) - set(declared):
        raise DeployError(f"the template has no parameters {', '.join(sorted(unknown))}")
    parameters: list[dict[str, Any]] = []
    for name in declared:
        if name in given:
            parameters.append({"ParameterKey": name, "ParameterValue": given[name]})
        elif exists:
            parameters.append({"ParameterKey": name, "UsePreviousValue": True})
    return parameters


def template_parameters(template_path: Path) -> dict[str, Any]:
    parameters: dict[str, Any] = load_template(template_path).get("Parameters", {})
    return parameters


class StackDeployer:
    """Creates or updates one stack through a change set, and waits for it."""

    def __init__(self, cloudformation: Any, out: TextIO, poll_seconds: float = 5.0) -> None:
        self._cfn = cloudformation
        self._out = out
        self._poll = poll_seconds

    def describe(self, name: str) -> Stack | None:
        try:
            [description] = self._cfn.describe_stacks(StackName=name)["Stacks"]
        except ClientError as error:
            if "does not exist" in str(error.response.get("Error", {}).get("Message", "")):
                return None
            raise
        return Stack.from_description(description)

    def deploy(self, name: str, template_body: str, declared: Iterable[str], given: Mapping[str, str]) -> Stack:
        current = self.describe(name)
        if current is not None and current.status == "ROLLBACK_COMPLETE":
            # A first creation that failed: CloudFormation allows only deleting it.
            self._say(f"stack {name} failed to create earlier (ROLLBACK_COMPLETE): deleting it to start again")
            self.delete(name)
            current = None
        if current is not None and (current.status.endswith("_IN_PROGRESS") and current.status != "REVIEW_IN_PROGRESS"):
            raise DeployError(f"stack {name} is busy ({current.status}); run this again when it is done")
        if current is not None and current.status.endswith("_FAILED"):
            raise DeployError(f"stack {name} is {current.status}: fix it in the CloudFormation console first")
        exists = current is not None and current.status != "REVIEW_IN_PROGRESS"
        change_set = f"{name}-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
        try:
            self._cfn.create_change_set(
                StackName=name,
                ChangeSetName=change_set,
                ChangeSetType="UPDATE" if exists else "CREATE",
                TemplateBody=template_body,
                Parameters=stack_parameters(declared, given, exists),
                Tags=[{"Key": "app", "Value": APP_NAME}],
            )
            ready = self._change_set_ready(name, change_set)
        except ClientError as error:
            # AWS answers "nothing to change" with a FAILED change set; some endpoints refuse the call.
            if not any(text in str(error) for text in NO_CHANGES):
                raise
            ready = False
        if not ready:
            self._say(f"stack {name} is up to date")
            described = self.describe(name)
            assert described is not None
            return described
        self._say(f"{'updating' if exists else 'creating'} stack {name} (change set {change_set})")
        self._cfn.execute_change_set(StackName=name, ChangeSetName=change_set)
        self._wait("stack_update_complete" if exists else "stack_create_complete", name)
        described = self.describe(name)
        assert described is not None
        return described

    def delete(self, name: str) -> None:
        self._cfn.delete_stack(StackName=name)
        self._wait("stack_delete_complete", name)

    def _change_set_ready(self, name: str, change_set: str) -> bool:
        """True when the change set holds changes to execute; False (and dropped) when it holds none."""
        try:
            self._cfn.get_waiter("change_set_create_complete").wait(
                StackName=name, ChangeSetName=change_set, WaiterConfig=self._waiter_config()
            )
            return True
        except WaiterError:
            described = self._cfn.describe_change_set(StackName=name, ChangeSetName=change_set)
            reason = str(described.get("StatusReason", ""))
            if described.get("Status") == "FAILED" and any(text in reason for text in NO_CHANGES):
                self._cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
                return False
            raise DeployError(f"CloudFormation refused the change set for {name}: {reason}") from None

    def _wait(self, waiter: str, name: str) -> None:
        try:
            self._cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=self._waiter_config())
        except WaiterError:
            raise DeployError(f"stack {name}: {waiter} did not happen.\n{self._failures(name)}") from None

    def _failures(self, name: str) -> str:
        try:
            events = self._cfn.describe_stack_events(StackName=name)["StackEvents"]
        except ClientError:
            return "(no stack events to show)"
        failed = [e for e in events if str(e.get("ResourceStatus", "")).endswith("_FAILED")][:10]
        return "\n".join(
            f"  {e['LogicalResourceId']}: {e['ResourceStatus']}: {e.get('ResourceStatusReason', '')}" for e in failed
        )

    def _waiter_config(self) -> dict[str, int]:
        delay = max(1, round(self._poll))
        return {"Delay": delay, "MaxAttempts": max(1, 3600 // delay)}

    def _say(self, text: str) -> None:
        self._out.write(f"letterbox-deploy: {text}\n")
