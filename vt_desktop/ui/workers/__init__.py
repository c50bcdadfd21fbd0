"""The Workers page: the broker, local and remote workers, and their health."""
