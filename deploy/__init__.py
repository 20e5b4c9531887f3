"""Deploy letterbox to AWS: the infra stack, the Chalice stage's configuration and policies, then `chalice deploy`.

Run as `python -m deploy deploy --stage prod` (what `make deploy STAGE=prod` does).
"""
