"""HTML pages: the templates and the shell they render in. Below the domains, so that any
of them can render a page (`plyr.web`'s pages, auth's sign-in confirmation)."""
