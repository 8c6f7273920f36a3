"""Copy new RDS and Aurora snapshots to a second region, prune the copies, reconcile what events missed.

Functions that take their AWS clients, settings and Runtime (runtime.py: clock, sleep, time left, name) as
arguments; the entry files (copy_snapshot.py, prune_snapshots.py, reconcile_snapshots.py) only read the
settings, build the clients and call a core here: copy_handler.handle (one invocation of the copier:
events.py reads the event, copier.py starts the copy, queue.py settles the batch), pruner.prune, and
reconcile.reconcile (survey.py and survey_listings.py find what is missing; reconcile.py enqueues it).
The rules they share: ownership.py (whose copy), snapshot_time.py (when its data was taken), kinds.py (the
catalogue of snapshot kinds), config.py and the *_config.py files (each function's settings).
"""
