"""The chalice command line, with the Lambda runtime chosen here instead of the one this interpreter implies.

Chalice 1.34 has no setting for the runtime: it deploys python<major>.<minor> of the Python
that runs it, so a Python 3.11 checkout deploys python3.11. That runtime sits on Amazon
Linux 2, whose support ended on 2026-06-30; cfn-lint (E2533) reports it deprecated, with
function creation blocked from 2026-07-31. The functions therefore run on python3.12
(Amazon Linux 2023), the nearest newer runtime to the 3.11 the tests run on. Override with
LETTERBOX_LAMBDA_RUNTIME.

Chalice then asks pip for manylinux wheels of the runtime's ABI (cp312) but without
--python-version, so pip checks them against this interpreter's version and finds none;
the pip call gets the runtime's version added. A test checks the built package.

Usage: python -m deploy.chalice_cli <chalice arguments>, e.g. `deploy --stage prod`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from chalice import config
from chalice.cli import main as chalice_main
from chalice.deploy.packager import BaseLambdaDeploymentPackager, LambdaDeploymentPackager, PipRunner

from deploy.bytecode import add_bytecode, runtime_python

DEFAULT_RUNTIME = "python3.12"
RUNTIME_VARIABLE = "LETTERBOX_LAMBDA_RUNTIME"


def lambda_runtime(env: dict[str, str] | None = None) -> str:
    runtime = (os.environ if env is None else env).get(RUNTIME_VARIABLE, "").strip() or DEFAULT_RUNTIME
    known = BaseLambdaDeploymentPackager._RUNTIME_TO_ABI  # the runtimes Chalice can build dependencies for
    if runtime not in known:
        raise SystemExit(f"{RUNTIME_VARIABLE}={runtime!r}: Chalice builds for {', '.join(sorted(known))}")
    return runtime


def pip_arguments(command: str, arguments: list[str]) -> list[str]:
    """Chalice's pip arguments, with --python-version added where it names an --abi (cp312 -> 3.12)."""
    if command != "download" or "--abi" not in arguments or "--python-version" in arguments:
        return arguments
    abi = arguments[arguments.index("--abi") + 1]
    return ["--python-version", f"{abi[2]}.{abi[3:]}", *arguments]


def main() -> int:
    runtime = lambda_runtime()
    config.Config.lambda_python_version = property(lambda _self: runtime)  # type: ignore[assignment, method-assign]
    execute = PipRunner._execute

    def execute_for_runtime(self: PipRunner, command: str, args: list[str], *rest: Any, **named: Any) -> Any:
        return execute(self, command, pip_arguments(command, args), *rest, **named)

    PipRunner._execute = execute_for_runtime  # type: ignore[method-assign]
    _ship_bytecode(runtime)
    sys.argv[0] = "chalice"
    result: int = chalice_main()
    return result


def _ship_bytecode(runtime: str) -> None:
    """After Chalice writes the deployment zip (built anew or its app injected), add the runtime's bytecode."""
    python = runtime_python(runtime)
    if python is None:
        print(
            f"letterbox: no {runtime} on PATH: the package ships sources only, compiled at each cold start "
            f"(with {runtime} installed, from your system's packages or `uv python install "
            f"{runtime.removeprefix('python')}`, the deploy ships bytecode: the API's cold start about a quarter "
            "shorter)",
            file=sys.stderr,
        )
        return
    create, inject = LambdaDeploymentPackager.create_deployment_package, LambdaDeploymentPackager.inject_latest_app

    def create_with_bytecode(self: LambdaDeploymentPackager, project_dir: str, python_version: str) -> str:
        package: str = create(self, project_dir, python_version)
        add_bytecode(Path(package), python)
        return package

    def inject_with_bytecode(self: BaseLambdaDeploymentPackager, package: str, project_dir: str) -> None:
        inject(self, package, project_dir)
        add_bytecode(Path(package), python)

    LambdaDeploymentPackager.create_deployment_package = create_with_bytecode  # type: ignore[method-assign]
    LambdaDeploymentPackager.inject_latest_app = inject_with_bytecode  # type: ignore[method-assign, assignment]


if __name__ == "__main__":
    sys.exit(main())
