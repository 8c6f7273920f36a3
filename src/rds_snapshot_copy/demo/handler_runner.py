"""Run one Lambda handler from an unpacked function package, as a fresh Lambda container would.

    python -I -m rds_snapshot_copy.demo.handler_runner PACKAGE_DIR HANDLER FUNCTION_NAME ANSWER_FILE [ARN] < event.json

The demo's harness (handler.run_handler) starts this in a new interpreter with the deployed function's own
environment. As Lambda's runtime does with /var/task, the unpacked zip comes first on the path, so the
handler imports the package's own snapshot_copy, not the one this command was installed with; nothing from
the functions' packages is imported before that. The event comes on stdin; stdout is the function's log
stream (its metrics go there), so the handler's answer goes to ANSWER_FILE, as JSON. ARN, the function's, is the
context's invoked_function_arn (the functions take their own account from it).

A caller may name a Python file in PRELOAD_VARIABLE: it runs (as `__main__`) before the handler is
imported, in this interpreter, and may hook what it likes (the IAM tests record every AWS call this way).
The variable is taken out of the environment first, so the handler never sees it.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import sys
from dataclasses import dataclass

PRELOAD_VARIABLE = "RDS_SNAPSHOT_COPY_HANDLER_PRELOAD"


@dataclass(frozen=True)
class Context:
    """The part of Lambda's context object that the functions read."""

    function_name: str
    aws_request_id: str = "local"
    # arn:aws:lambda:<region>:<account>:function:<name>; the functions take their own account from it.
    invoked_function_arn: str = ""


def main(argv: list[str]) -> int:
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    package_dir, handler, function_name, answer_file = argv[:4]
    function_arn = argv[4] if len(argv) == 5 else ""
    sys.path.insert(0, package_dir)
    preload = os.environ.pop(PRELOAD_VARIABLE, "")
    if preload:
        runpy.run_path(preload, run_name="__main__")
    module_name, _, attribute = handler.rpartition(".")
    function = getattr(importlib.import_module(module_name), attribute)
    event = json.load(sys.stdin)
    result = function(event, Context(function_name, invoked_function_arn=function_arn))
    with open(answer_file, "w", encoding="utf-8") as answer:
        json.dump(result, answer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
