"""HTML pages, the htmx fragments they swap, and the HTML event stream of the runs list.

pages.py gathers the routers (runs.py, datasets.py) and serves the pages built by ES modules;
templates.py has the one rule every page follows: one URL, page or fragment.
"""
