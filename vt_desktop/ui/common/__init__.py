"""Widgets and helpers shared by the pages: banners, headers, table models, async slots,
the language field."""
