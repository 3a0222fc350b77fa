"""Use cases: each takes a session, an actor and plain values, enforces the rules and returns results.

Callers (web views, CLI) own the transaction: they commit after a use case returns.
"""
