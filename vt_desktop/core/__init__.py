"""The app's core: pipeline, job store, supervision and settings. Never imports Qt."""
