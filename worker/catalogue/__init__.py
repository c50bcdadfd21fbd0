"""Which models exist, by name: repos, sizes, licences, languages.

Pure data that the app and the workers share (the app may list, describe and suggest models
without importing an engine): ``speech`` for Whisper models, ``translation`` for CTranslate2
translation models. It imports nothing else of the project.
"""
