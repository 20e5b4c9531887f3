"""`make destroy`: `chalice delete`, the stack, the secret this script stored; the bucket only when asked."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.signing_keys import parameter_name

from . import stage_config
from .deployment import BUCKET_NAME, SECRET_PARAMETER, Deployment, _object_count, chalice_command
from .stack import APP_NAME, DeployError, stack_name


class Teardown(Deployment):
    """Tears one stage of letterbox down, in one AWS account and region."""

    def destroy(self) -> None:
        name = stack_name(self.stage)
        stack = self.stacks.describe(name)
        region, account = self._whereabouts()
        bucket = (stack.outputs.get("BucketName") if stack else None) or BUCKET_NAME.format(
            stage=self.stage, account=account, region=region
        )
        if self.options.delete_data:
            self._confirm_deletion(bucket)
        deployed = self.options.project_dir / ".chalice" / "deployed" / f"{self.stage}.json"
        if deployed.exists():
            queue = stack.outputs.get("NotifyQueueName", "") if stack else f"{APP_NAME}-{self.stage}-notify"
            self.run(
                [*chalice_command(), "delete", "--stage", self.stage],
                self._chalice_env(queue, region),
                self.options.project_dir,
                False,
            )
        else:
            self._say(f"no Chalice deployment of stage {self.stage} recorded ({deployed.name}): nothing to delete")
        if stack is not None:
            self._say(f"deleting stack {name}")
            self.stacks.delete(name)
        self._delete_stored_secret()
        # Always made by the deploy: links and challenges it signed die with the stage.
        self._delete_parameter(parameter_name(self.stage))
        kept = self._bucket_fate(bucket)
        self._say(f"stage {self.stage} is torn down. Kept: {kept}; .chalice/config.json (the stage's settings).")

    def _confirm_deletion(self, bucket: str) -> None:
        if self.options.yes:
            return
        answer = self.confirm(f"This deletes bucket {bucket} and every submission in it. Type its name to go on: ")
        if answer.strip() != bucket:
            raise DeployError("not confirmed: nothing was deleted")

    def _delete_stored_secret(self) -> None:
        """Delete the SSM parameter this script created; one the operator named stays theirs."""
        config = stage_config.load(self.config_path)
        ours = SECRET_PARAMETER.format(stage=self.stage)
        named = self._own_setting(config, "HCAPTCHA_SECRET_PARAMETER")
        if named and named != ours:
            self._say(f"kept SSM parameter {named}: you created it")
            return
        self._delete_parameter(ours)

    def _delete_parameter(self, name: str) -> None:
        try:
            self.session.client("ssm").delete_parameter(Name=name)
            self._say(f"deleted SSM parameter {name}")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ParameterNotFound":
                raise

    def _bucket_fate(self, bucket: str) -> str:
        s3 = self.session.client("s3")
        try:
            s3.head_bucket(Bucket=bucket)
        except ClientError:
            return "no bucket (there was none)"
        if not self.options.delete_data:
            count = _object_count(s3, bucket, limit=1000)
            held = f"{count}{'+' if count >= 1000 else ''} objects"
            return (
                f"bucket {bucket} ({held}: submissions, attachments, markers); "
                f"delete it with `make destroy STAGE={self.stage} DELETE_DATA=1`"
            )
        removed = _empty_bucket(s3, bucket)
        s3.delete_bucket(Bucket=bucket)
        self._say(f"deleted bucket {bucket} and {removed} object versions in it")
        return "no bucket (deleted, as asked)"


def _empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object version and delete marker (a versioned bucket keeps old ones)."""
    removed = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        entries = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        for start in range(0, len(entries), 1000):
            chunk = entries[start : start + 1000]
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
            if answer.get("Errors"):
                raise DeployError(f"could not delete {len(answer['Errors'])} objects from {bucket}")
            removed += len(chunk)
    return removed
