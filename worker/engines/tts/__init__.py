"""Speech engines for dubbing (espeak-ng, Hibari, Piper) and fitting a line to its slot."""
