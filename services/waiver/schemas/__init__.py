"""Request and response schemas of the waiver API, one module per `api/` resource (`common.py`: shared pieces).

Family bindings and claim documents are returned by their use cases as domain objects, which these schemas
present. A direct deduction is still a JSON-ready dict (money as "220.00", times as ISO 8601 strings) because its
response is stored and replayed verbatim; claims, entitlements and reports still build dicts too (to be moved).
"""
