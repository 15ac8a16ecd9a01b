"""Events after commit: brokers (in-process, Redis), the outbox relay, subscription streams."""
