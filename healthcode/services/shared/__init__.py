"""What every context uses: the environment, keys, limits, audit."""
