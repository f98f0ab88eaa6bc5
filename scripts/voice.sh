#!/bin/sh
# Rebuilds the default voice (clip pack) of cherga-announcer, audio/voice/pack,
# with espeak-ng and sox from the clip texts in audio.ClipTexts. Run it (make
# voice) after a change to the phrases; commit the result: the pack is
# embedded in cherga-announcer, so a fresh clone builds without these tools.
#
#   apt-get install espeak-ng sox
#
# RATE=8000 scripts/voice.sh makes a smaller, telephone-quality pack.
set -eu
cd "$(dirname "$0")/.."
for tool in espeak-ng sox; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "voice: $tool is missing; install it: apt-get install espeak-ng sox" >&2
		exit 1
	}
done
out=audio/voice/pack
go run ./audio/cmd/mkvoice -out "$out" -rate "${RATE:-16000}" -langs "${LANGS:-uk,en}"
echo "voice: $(find "$out" -name '*.wav' | wc -l) clips, $(du -sh "$out" | cut -f1) in $out"
