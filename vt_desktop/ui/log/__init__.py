"""The Log page: the app's and the workers' log lines, filtered and searchable."""
