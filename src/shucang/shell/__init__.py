"""The shell layer: what the two HTTP shells (``shucang.api`` and ``shucang.web``) share.

The JSON API and the cockpit answer the same callers over the same warehouse, so who is calling
(token, session cookie or the public), the per-caller rate limits, the CSRF check, the session
login and the one JSON error shape live here, once. Both shells import this package and the core
stages; neither imports the other, except ``shucang.api.app``, the one module that assembles both
into the ASGI app (kept there so every existing ``create_app`` import and router block stays; see
docs/architecture.md and tests/test_layers.py).
"""
