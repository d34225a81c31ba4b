"""Page routers, one module per area of the resident's journey."""
