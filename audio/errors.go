package audio

import "errors"

var (
	// ErrLang is returned for a language that is none of Langs.
	ErrLang = errors.New("audio: unsupported language")

	// ErrRange is returned by NumberWords and NumberText for a number outside
	// 0..9999. Announce reports such a number as ErrLabel or ErrCounter.
	ErrRange = errors.New("audio: number out of range 0..9999")

	// ErrLabel is returned by Announce when the ticket label is not zero to two
	// Ukrainian letters followed by digits.
	ErrLabel = errors.New("audio: bad ticket label")

	// ErrCounter is returned by Announce when the counter id is not a number.
	ErrCounter = errors.New("audio: bad counter")

	// ErrCounterKind is returned by ParseCounterKind and Announce for a counter
	// kind other than Window or Cabinet.
	ErrCounterKind = errors.New("audio: unknown counter kind")

	// ErrWAV is returned by ParseWAV for bytes that are not a well-formed WAV
	// file: no RIFF header, a truncated chunk, no fmt or data chunk.
	ErrWAV = errors.New("audio: bad WAV file")

	// ErrFormat is returned for audio in a sample format cherga does not play
	// (anything but 16-bit mono linear PCM at 8..48 kHz), and by Concat and
	// LoadPack for clips whose formats differ.
	ErrFormat = errors.New("audio: unsupported sample format")

	// ErrPack is returned by LoadPack, joined once per problem, for a clip
	// pack that cannot be used: no or a bad manifest, a missing or bad file, a
	// file without samples, a clip that Announce can emit and the pack lacks.
	ErrPack = errors.New("audio: bad clip pack")

	// ErrNoClip is returned by Pack.Render for a clip id the pack does not
	// have.
	ErrNoClip = errors.New("audio: no such clip in the pack")

	// ErrNotice is returned by AnnounceNotice for a Notice there is none of.
	ErrNotice = errors.New("audio: unknown notice")

	// ErrCall is returned by ParseCall for an announce payload that is not a
	// call the announcer can play.
	ErrCall = errors.New("audio: bad announce message")
)
