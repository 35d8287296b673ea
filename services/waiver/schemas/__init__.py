"""Request and response schemas of the waiver API, one module per `api/` resource (`common.py`: shared pieces).

Use cases return JSON-ready dicts (money as "220.00", times as ISO 8601 strings) because a direct
deduction's response is stored and replayed verbatim; response schemas therefore declare strings.
"""
