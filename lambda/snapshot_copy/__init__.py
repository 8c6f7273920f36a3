"""Copy new RDS and Aurora snapshots to a second region.

Pure functions that take their AWS clients as arguments; `copy_snapshot.lambda_handler` is the thin
entry point that wires them to the Lambda runtime.
"""
