"""What the project as a whole declares, once, for servicekit to be given: who the callers are (access.py).

servicekit is mechanism and takes these as arguments; the services and the gateway import them from here.
(The services themselves are named once too, as the `servicekit.services` entry points in pyproject.toml.)
"""
