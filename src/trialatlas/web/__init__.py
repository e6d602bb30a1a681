"""The web pages: server-rendered, escaped, and wired to the services only through :mod:`.services`."""
