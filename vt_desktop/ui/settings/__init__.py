"""The Settings dialog: its pages, fields and validation."""
