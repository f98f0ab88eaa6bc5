// Package audio builds the voice announcements of a call: "Талон А двадцять
// три, вікно п'ять" in Ukrainian, "Ticket A twenty-three, counter five" in
// English.
//
// A Phrase carries the same announcement twice: as Text, for captions, logs and
// a text-to-speech fallback, and as Clips, a list of stable ASCII clip ids that
// the announcer box maps to WAV files of a clip pack and plays back to back.
// ClipTexts gives, for each language, every clip id Announce can emit with the
// text to synthesize for it, so a whole pack can be generated (for example with
// espeak-ng) and checked for completeness.
//
// # Clip ids
//
// Ids are "{lang}/{group}/{name}", lowercase ASCII, and never change once a
// pack has been recorded:
//
//	{lang}/word/...    fixed words: uk talon, vikno, kabinet, tysiacha, tysiachi, tysiach,
//	                   povtorno; en ticket, window (said "counter"), room, hundred,
//	                   thousand, and, again (said "calling again"). povtorno,
//	                   again (before a recall) and and ("one hundred and one")
//	                   came later: a pack without them still loads, and says a
//	                   recall or a number without them.
//	{lang}/letter/...  ticket prefix letters: a b v h g d e ye zh z y i yi j k l m n
//	                   o p r s t u f kh ts ch sh shch soft yu ya (А..Я in that order)
//	{lang}/num/N       number parts named by their value
//	{lang}/phrase/...  whole sentences of the notices of an air-raid alert
//	                   (AnnounceNotice): attention, air_raid_alert, go_to_shelter,
//	                   all_clear, service_resumes; they came later too: a pack
//	                   without them still loads, and says the notice as the chime
//	                   alone
//
// Every number 0..9999 is composed of a bounded set of number clips, at most
// one clip per decimal place plus the word for thousand (and for English
// hundred and "and"):
//
//	uk/num/0..19, 20, 30 .. 90, 100, 200 .. 900, 2f    (41 clips with the 3 thousand words)
//	en/num/0..19, 20, 30 .. 90                         (31 clips with hundred, thousand, and)
//
// so 2023 is uk/num/2f uk/word/tysiachi uk/num/20 uk/num/3 ("дві тисячі
// двадцять три") and en/num/2 en/word/thousand en/word/and en/num/20
// en/num/3 ("two thousand and twenty-three"). English numbers are British,
// as the espeak-ng voice is: "and" before the tens and units of a number
// from 100 up ("one hundred and one", "one thousand and ten", but "one
// thousand one hundred").
//
// # Ukrainian grammar
//
// Ticket and counter numbers are labels, not quantities, so they are said in the
// nominative default (masculine) form, the way offices and transport announce
// them: "вікно один", "вікно два", "кабінет двадцять один" (agreeing with an
// implied "номер", not with the neuter "вікно"). The one place where grammar
// changes a word is тисяча, which is feminine and governs its numeral: 1000 is
// "тисяча" (the spoken form, without "одна"), 1001 "тисяча один", 2000 "дві
// тисячі", 3000 "три тисячі", 5000 "п'ять тисяч". The apostrophe of the
// clips' texts is the ASCII ' (п'ять, дев'ять, дев'яносто, знак м'якшення),
// which the voice packs were made from (espeak-ng reads it); a Phrase's
// Text, read by people (a hall screen's captions), has the Ukrainian ʼ
// (U+02BC), as every message cherga writes for people, and a printer
// prints either as its code page's apostrophe.
//
// Prefix letters are said by their Ukrainian names (Б "бе", Й "йот", Ь "знак
// м'якшення", as the 2019 правопис names it) and written in Text as printed on
// the ticket ("Талон АБ сім, ...").
// English says the letter by its KMU 2010 transliteration (Cabinet of
// Ministers resolution No. 55 of 27 January 2010, the form for the start of a
// word: Є "Ye", Ж "Zh", Й "Y", Щ "Shch"), written letter by letter with spaces
// ("Ticket Zh A seven, ...") and synthesized as spelled Latin letters ("Z H").
// KMU 2010 drops Ь, which would make the ticket ambiguous, so English says
// "soft sign". Only Ukrainian Cyrillic letters are accepted: a Latin "A" that
// looks like the Cyrillic "А" is an error that names its code point, so a
// misconfigured prefix is found at once instead of being read out wrongly.
//
// # Labels and counters
//
// A ticket label is zero to two Ukrainian letters followed by one or more
// digits ("А023", "АБ7", "15"); leading zeros are not spoken, "А000" is "А
// нуль". A counter is digits only and is said as a number ("05" is "п'ять");
// a non-numeric counter id is refused with ErrCounter rather than spelled,
// because a spelled id ("ресепшн" letter by letter) is not something a citizen
// can follow: give such counters a number in the configuration.
//
// # Clip packs
//
// A clip pack is a folder of WAV files with a manifest.json at its root
// (Manifest): the sample format, the languages, and a map from clip id to
// file ("uk/word/talon": "uk/word/talon.wav"). Every clip is linear PCM,
// 16-bit, mono, at the one rate of the manifest, so announcements are made
// by joining sample data with no resampling (Concat), with LetterPause of
// silence after the letters of the ticket's number and CounterPause where
// the text has its comma, before the counter word. LoadPack checks a pack
// whole before it is used: a missing or empty clip is found when the
// announcer starts, not when ticket Щ9999 is called. A pack may carry its
// own "chime" clip; otherwise Chime synthesizes a two-tone bell at the
// pack's rate.
//
// The default pack (package voice, generated by scripts/voice.sh with
// espeak-ng and sox from ClipTexts) is 16 kHz, about 2.8 MB, and embedded in
// cmd/cherga-announcer. A recorded human voice is a folder with the same
// ids: cherga-announcer -pack DIR.
//
// WAV files are read by ParseWAV (RIFF with a PCM or WAVE_FORMAT_EXTENSIBLE
// fmt chunk; LIST and other chunks skipped) and written by Clip.WAV as the
// canonical 44-byte header and the samples
// (http://soundfile.sapp.org/doc/WaveFormat/).
//
// # The announcer
//
// An Announcer takes the {root}/announce messages (ParseCall) and plays
// them through a Player, one at a time:
//
//   - the messages of one call id in several languages are played together,
//     in the order of AnnouncerOpts.Langs (Ukrainian first), after a chime;
//     a call waits at most Gather for a language still missing;
//   - a recall of a ticket whose call is still queued merges into it instead
//     of being said twice; a message seen before (at-least-once delivery
//     repeats calls with the same id) is dropped;
//   - a call older than MaxAge when it arrives is dropped: after a broker
//     outage the controller's outbox delivers old calls, and a citizen
//     called twenty minutes ago is not called now. A call that waits
//     behind the announcer's own queue is its counter's current one and is
//     said: an office that opens with every counter calling at once makes
//     a queue longer than MaxAge. Age is told by the controller's clock:
//     from the call's "at" to its "sent" (the controller's outbox), and,
//     for a call the broker kept for the session while the announcer was
//     away (it comes as a connection begins: Connected), the time since it
//     was sent by this box's clock, less the difference between the clocks
//     that the live messages tell (before any came, up to twice MaxAge of
//     it is taken for a difference); a box whose clock drifts from the
//     controller's (an office without NTP) still says its calls, and logs
//     the difference. A call from an older controller, without "sent",
//     ages by this box's clock from its "at" (from its arrival when it has
//     none, or one in the future);
//   - Drain is a clean stop: the call being said and the ones still queued
//     are said, then Run returns. When Run's context
//     ends instead, the call being said is cut, and it and every call left
//     are logged by ticket and counter and passed to Played with
//     ErrStopped: the broker has them as delivered, so nothing else would
//     say them.
//
// Office tells the announcer how the office stands ({root}/load): while it
// is paused no call is said (Pause), and at a change it says a notice of
// its own, once: the air-raid alert when one begins («Увага! Повітряна
// тривога. Пройдіть до найближчого укриття.», then in English), the all-clear when it
// ends with the office open («Відбій тривоги. Прийом відновлено.»), in
// the announcer's languages that the office speaks, before any call. The
// log has its text.
//
// CommandPlayer pipes each announcement as a WAV file into aplay (or any
// player reading standard input); DirPlayer writes numbered WAV files for
// the simulator and tests. A player has the announcement's length and 5 s
// to finish: aplay blocks for good on a sound server that stopped
// answering or an HDMI sink switched off, and one hung call must not
// silence the hall. Then it is cut (CommandPlayer kills the player's
// process group), the call is logged as an error with the player's
// command (ErrPlayerHung), and the next call is said. A call superseded
// while another is said is logged at once.
//
// References:
//   - Український правопис (2019): the apostrophe, and the declension of numerals.
//   - Постанова КМУ від 27.01.2010 № 55 "Про впорядкування транслітерації
//     українського алфавіту латиницею".
package audio
