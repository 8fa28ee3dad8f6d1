"""The audit trail: writing its events in the same transaction as the change they record (events), and the hash
chain that seals them at commit and proves later that none was altered, removed or slipped in (chain)."""
