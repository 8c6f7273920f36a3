"""The `rds-snapshot-copy` operations command: package the functions, run the local demo, and (later)
backfill, status, restore and drill. It imports the functions' core package (`snapshot_copy`, in
lambda/) and is never part of the Lambda zip itself."""
