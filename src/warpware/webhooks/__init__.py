"""Outbound webhooks (signed, retried, never lost) and account notifications (health panel, email).

outbox.py turns order changes into delivery rows and jobs inside the change's transaction; tasks.py
sends them (sender.py, behind the ssrf.py guard, signed by signing.py) and emails notifications.
"""
