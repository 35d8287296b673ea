"""The roles a token may carry and the ownership rules every service's authorisation matrix names."""

# `service` is internal: the gateway signs it for its own calls to services; never issued to people.
ROLES = ("admin", "station", "hospital", "reviewer", "donor", "service")
STAFF = ("admin", "station", "hospital", "reviewer")

# Ownership checked by the use case (the walk test in tests/security tries each with someone else's data).
OWN_SITE = "own_site"          # a station/hospital only its own site's data
OWN_REGION = "own_region"      # a reviewer only their region
OWN_RESOURCE = "own_resource"  # the stored row's owner (claim owner, unit's hospital)
