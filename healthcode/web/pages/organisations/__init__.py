"""Staff pages of the organisations: the review queue, signing, overrides, the counter."""
