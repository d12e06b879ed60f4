"""Use cases over the store: organizations and tokens, providers and catalogs, clinicians and licenses."""
