"""The Models page: installed and downloadable speech, translation and voice models."""
