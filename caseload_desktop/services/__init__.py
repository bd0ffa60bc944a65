"""Use cases: the only writers. Each opens one transaction (data, audit, outbox) and announces
what it changed."""
