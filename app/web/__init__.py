"""HTML pages and htmx partials."""
