"""AT Protocol integration: identity resolution, PDS access, records."""
