"""Department records: imports (files and department systems), rollbacks, recolouring."""
