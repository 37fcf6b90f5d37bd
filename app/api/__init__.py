"""JSON routers under /api."""
