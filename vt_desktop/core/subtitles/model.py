"""Value types that flow from recognition to subtitle files: words, sentences and cues.

All times are seconds from the start of the media. The types are frozen so a stage can hand
its result to the next one (or to the job store) without fear of later mutation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Cue", "Sentence", "TimedWord"]


@dataclass(frozen=True, slots=True)
class TimedWord:
    """One recognised word with its timing.

    Attributes:
        text: The word as the recogniser gives it; Whisper usually includes a leading space
            (``" country."``) and attached punctuation.
        start: Start time in seconds.
        end: End time in seconds.
        probability: The recogniser's confidence in the word, 0..1.
        suspect: Why the recogniser's own checks think the word may be invented (a loop,
            words where no speech was heard), or None.
        language: The language the word was recognised in (a recording may hold several),
            or None when the transcript has one language.
    """

    text: str
    start: float
    end: float
    probability: float = 1.0
    suspect: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Sentence:
    """A whole sentence of source speech, the unit that is sent for translation.

    Attributes:
        index: Position of the sentence in the transcript, from 0.
        text: The source text, words joined with the language's spacing.
        start: Start of the first word, in seconds.
        end: End of the last word, in seconds.
        words: The recognised words that make up the sentence, in order.
        translation: The translated text, or ``None`` when it is not (yet) translated.
        language: The language it was spoken in (its words'), or None when not known.
        pivoted: True when it was translated through English (two engines, no direct one).
    """

    index: int
    text: str
    start: float
    end: float
    words: tuple[TimedWord, ...]
    translation: str | None = None
    language: str | None = None
    pivoted: bool = False


#: The flag of a stand-in cue where a segment of speech could not be recognised (a gap left
#: by a segment that crashed its workers): shown in Review, never written to a file.
UNRECOGNISED = "unrecognised"


#: The flag of a cue whose source text the recogniser's checks think may be invented.
SUSPECT = "suspect"
#: The flag of a cue translated through English (no engine translates its pair directly).
PIVOTED = "pivoted"
#: The flag of a cue whose source holds a word the recogniser doubted (see ``doubtful``).
DOUBTFUL = "doubtful"
#: Below this confidence a recognised word counts as doubtful (the Review page's default;
#: the user's setting overrides it).
DOUBT_THRESHOLD = 0.5
#: A word heard during a cue, with the recogniser's confidence in it (0..1).
WordConfidence = tuple[str, float]


def doubtful(words: tuple[WordConfidence, ...], threshold: float) -> list[WordConfidence]:
    """The words under ``threshold``, in order."""
    return [(text, p) for text, p in words if p < threshold]


def writable(cues: list[Cue]) -> list[Cue]:
    """The cues a subtitle file or video carries: all but the empty stand-ins for gaps."""
    return [c for c in cues if not (UNRECOGNISED in c.flags and not "".join(c.lines).strip())]


@dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle on screen.

    Attributes:
        index: Position of the cue in the subtitle file, from 1 (as SRT numbers them).
        start: When the cue appears, in seconds.
        end: When the cue disappears, in seconds.
        lines: The text lines, top to bottom (in bilingual cues the source lines come first).
        source_text: The source speech heard while the cue is shown (for review and editing).
        flags: Names of the rules the cue could not meet (``"cps"``, ``"too_long_line"``,
            ``"too_short"``, ``"too_long"``, ``"too_many_lines"``, ``"untranslated"``), or
            ``UNRECOGNISED`` on the stand-in for speech that could not be recognised.
        source_words: The source words heard during the cue with the recogniser's confidence
            in each, so a reviewer sees the doubtful ones (empty when unknown).
    """

    index: int
    start: float
    end: float
    lines: tuple[str, ...]
    source_text: str = ""
    flags: frozenset[str] = field(default_factory=frozenset)
    source_words: tuple[WordConfidence, ...] = ()

    @property
    def text(self) -> str:
        """The cue's lines joined with newlines."""
        return "\n".join(self.lines)

    @property
    def duration(self) -> float:
        """Seconds on screen."""
        return self.end - self.start
