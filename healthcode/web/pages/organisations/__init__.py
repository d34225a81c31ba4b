"""Pages of organisations' administrators: an employer's staff roster."""
