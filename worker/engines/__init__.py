"""Inference engines used by worker services (speech recognition, translation, voices)."""
