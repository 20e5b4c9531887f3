"""The local API: app.py through chalice's own local gateway, with a listen backlog that takes a crowd.

    python -m devstack.api_server [--host 127.0.0.1] [--port 8000] [--stage dev]

`chalice local` serves with chalice.local.ThreadedHTTPServer, which keeps socketserver's listen
backlog of 5: 25 clients connecting at once find the queue full and get "Connection reset by peer".
This is `chalice local --no-autoreload` step for step (chalice/cli/__init__.py, `cli` and `local`;
chalice/local.py, create_local_server), with one change: the server class's backlog.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from chalice.cli.factory import CLIFactory
from chalice.constants import DEFAULT_STAGE_NAME
from chalice.deploy.validate import validate_routes
from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer, ThreadedHTTPServer

ROOT = Path(__file__).resolve().parent.parent


class CrowdHTTPServer(ThreadedHTTPServer):
    """chalice local's server, with room for the connections a day of action opens at once."""

    # listen(2) backlog; the kernel caps it at net.core.somaxconn (4096 on current Linux).
    request_queue_size = 128
    # A client that never finishes its request must not keep the process alive at exit.
    daemon_threads = True


def create_server(project_dir: Path, host: str, port: int, stage: str) -> LocalDevServer:
    """What `chalice local` builds: the stage's config, the app with its environment, validated routes."""
    factory = CLIFactory(str(project_dir), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    # config.chalice_app calls factory.load_chalice_app(config.environment_variables): the stage's
    # variables are written into os.environ (over what the parent set) before app.py is imported.
    app_obj = config.chalice_app
    validate_routes(app_obj.routes)
    # chalice.local.create_local_server, which takes no server class: current_request per thread.
    CustomLocalChalice.__bases__ = (LocalChalice, app_obj.__class__)
    app_obj.__class__ = CustomLocalChalice
    return LocalDevServer(app_obj, config, host, port, server_cls=CrowdHTTPServer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.api_server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default=DEFAULT_STAGE_NAME, help="the Chalice stage whose config is used")
    parser.add_argument("--project-dir", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    project_dir = args.project_dir.resolve()
    # What chalice's `cli` group does before any command: the marker apps may test, and the cwd.
    os.environ["AWS_CHALICE_CLI_MODE"] = "true"
    os.chdir(project_dir)
    # `chalice local`'s stdout logger, the one Lambda's console resembles.
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    server = create_server(project_dir, args.host, args.port, args.stage)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # Ctrl-C in `make dev` reaches every process of the group; devstack reports the stop
    finally:
        server.server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
