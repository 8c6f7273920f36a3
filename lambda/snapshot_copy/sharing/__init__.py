"""The source side of the backup-account mode (issue 17): make each selected snapshot shareable with the vault
accounts, share it, tell each vault's queue, and later take the share back.

The function's entry file is lambda/share_snapshot.py; it builds the clients and calls handler.handle. Here:
config.py (the settings), naming.py (the share copy's identifier and the rule that makes one ours), decide.py
(what to do with a new snapshot), share.py (the restore attribute, the share copy, the vaults' messages),
cleanup.py (the scheduled clean-up) and metrics.py (this function's metric names).
"""
