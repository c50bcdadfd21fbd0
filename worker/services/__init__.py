"""Built-in services: every ``*_service.py`` here is discovered by ``worker.loader``."""
