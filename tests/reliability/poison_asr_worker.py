"""``python -m tests.reliability.poison_asr_worker``: a real worker whose ``asr.transcribe``
kills its own process (as a segment that segfaults a decoder would) when the call's segment
starts at ``VT_TEST_POISON_OFFSET`` seconds; every other call is served as usual."""

from __future__ import annotations

import os
import sys

from worker.protocol.asr import TRANSCRIBE, TranscribeParams, TranscribeResult
from worker.services.asr_service import AsrService

POISON_OFFSET = float(os.environ["VT_TEST_POISON_OFFSET"])
_serve = AsrService.transcribe


async def _transcribe(self: AsrService, p: TranscribeParams) -> TranscribeResult:
    if abs(p.offset_s - POISON_OFFSET) < 0.01:
        os._exit(70)  # no reply, no ack: the broker hands the call (and its batch) back
    return await _serve(self, p)


_transcribe.__rpc_method__ = TRANSCRIBE  # type: ignore[attr-defined]
AsrService.transcribe = _transcribe  # type: ignore[method-assign]

if __name__ == "__main__":
    from worker.__main__ import main

    sys.exit(main())
