"""Deploy letterbox to AWS, or tear it down. `make deploy STAGE=prod` and `make destroy STAGE=prod` call this.

deploy   1. checks the settings (sender, hCaptcha keys) and letterbox.toml (each form's organizers and
            origins, as the stage will read them) before any AWS call
         2. creates or updates the CloudFormation stack letterbox-<stage> from infra/template.yaml
            (a change set; one without changes is dropped, so running it again is harmless)
         3. stores the hCaptcha secret, if given in HCAPTCHA_SECRET, as an SSM SecureString
         4. writes the stack's outputs into .chalice/config.json (stage <stage>) and the
            per-function policies into .chalice/policy-<stage>-{api,notify}.json
         5. runs `chalice deploy --stage <stage>` with LETTERBOX_NOTIFY_QUEUE set to the stack's
            queue, and prints the API's URL
         6. throttles the stage's REST API in API Gateway to letterbox.toml's throttle_rate and
            throttle_burst (read first: the same values again make no change)
destroy  runs `chalice delete`, deletes the stack and the secret it stored; the bucket (with
         every submission) is kept unless --delete-data is given.

No ReportBatchItemFailures is switched on for the notify mapping: the handler does not rely
on it (chalicelib/notify/batch.py deletes the records that succeeded itself, then raises).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import boto3

from . import policies
from .deployment import ROOT, Deployment, Options
from .stack import DeployError
from .stage_config import StageConfigError
from .teardown import Teardown


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    deploy = commands.add_parser("deploy", help="create or update the stage (safe to run again)")
    destroy = commands.add_parser("destroy", help="tear the stage down; the bucket is kept unless --delete-data")
    for command in (deploy, destroy):
        command.add_argument("--stage", default="prod")
        command.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)")
        command.add_argument("--project-dir", type=Path, default=ROOT, help=argparse.SUPPRESS)
    deploy.add_argument("--sender", default="", help="the address SES sends from (LETTERBOX_SENDER)")
    deploy.add_argument(
        "--organizers",
        default="",
        help="comma-separated addresses for every form, instead of letterbox.toml's (LETTERBOX_ORGANIZERS)",
    )
    deploy.add_argument(
        "--origins",
        default="",
        help="space-separated origins for every form, instead of letterbox.toml's (LETTERBOX_ORIGINS)",
    )
    deploy.add_argument("--form-options", default="", help="per-form JSON (LETTERBOX_FORM_OPTIONS)")
    deploy.add_argument(
        "--retention-days",
        help="days to keep submissions, their attachments and notified/ markers; 0 keeps them (stack parameter)",
    )
    deploy.add_argument("--log-retention-days", help="days to keep the functions' logs (stack parameter)")
    deploy.add_argument("--kms-key-arn", help="encrypt the bucket with this KMS key; empty for SSE-S3")
    deploy.add_argument("--versioning", choices=["Enabled", "Suspended"], help="bucket versioning")
    destroy.add_argument("--delete-data", action="store_true", help="also empty and delete the bucket")
    destroy.add_argument("--yes", action="store_true", help="do not ask before deleting the bucket")
    return parser


def options_from(args: argparse.Namespace) -> Options:
    given = {
        "RetentionDays": getattr(args, "retention_days", None),
        "LogRetentionDays": getattr(args, "log_retention_days", None),
        "KmsKeyArn": getattr(args, "kms_key_arn", None),
        "Versioning": getattr(args, "versioning", None),
    }
    return Options(
        stage=args.stage,
        project_dir=args.project_dir,
        sender=getattr(args, "sender", ""),
        organizers=getattr(args, "organizers", ""),
        origins=getattr(args, "origins", ""),
        form_options=getattr(args, "form_options", ""),
        stack_parameters={k: v for k, v in given.items() if v is not None},
        delete_data=getattr(args, "delete_data", False),
        yes=getattr(args, "yes", False),
    )


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = _parser().parse_args(argv)
    env = dict(os.environ if env is None else env)
    region = args.region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None
    session = boto3.session.Session(region_name=region)
    if not session.region_name:
        sys.stderr.write("letterbox-deploy: no AWS region: set AWS_REGION (or --region, or one in your AWS profile)\n")
        return 1
    options = options_from(args)
    try:
        if args.command == "deploy":
            Deployment(options, session, env).deploy()
        else:
            Teardown(options, session, env).destroy()
    except (DeployError, StageConfigError, policies.PolicyError) as error:
        sys.stderr.write(f"letterbox-deploy: {error}\n")
        return 1
    return 0
