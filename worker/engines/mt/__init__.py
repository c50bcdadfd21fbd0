"""Translation engines (Bergamot, CTranslate2 NMT, OpenAI-compatible chat) and their helpers."""
