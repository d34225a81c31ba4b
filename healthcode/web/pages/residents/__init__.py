"""The resident's pages: home, declaration, daily report."""
