"""Staff pages of the organisations: the staff home, issuer authorisations, the
organisation pages, an employer's roster, the review queue, signing, overrides, the counter."""
