// Package audio builds the voice announcements of a call: "Талон А двадцять
// три, вікно п'ять" in Ukrainian, "Ticket A twenty-three, window five" in
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
//	{lang}/word/...    fixed words: uk talon, vikno, kabinet, tysiacha, tysiachi, tysiach;
//	                   en ticket, window, room, hundred, thousand
//	{lang}/letter/...  ticket prefix letters: a b v h g d e ye zh z y i yi j k l m n
//	                   o p r s t u f kh ts ch sh shch soft yu ya (А..Я in that order)
//	{lang}/num/N       number parts named by their value
//
// Every number 0..9999 is composed of a bounded set of number clips, at most
// one clip per decimal place plus the word for thousand (and for English
// hundred):
//
//	uk/num/0..19, 20, 30 .. 90, 100, 200 .. 900, 2f    (41 clips with the 3 thousand words)
//	en/num/0..19, 20, 30 .. 90                         (30 clips with hundred and thousand)
//
// so 2023 is uk/num/2f uk/word/tysiachi uk/num/20 uk/num/3 ("дві тисячі
// двадцять три") and en/num/2 en/word/thousand en/num/20 en/num/3 ("two
// thousand twenty-three").
//
// # Ukrainian grammar
//
// Ticket and counter numbers are labels, not quantities, so they are said in the
// nominative default (masculine) form, the way offices and transport announce
// them: "вікно один", "вікно два", "кабінет двадцять один" (agreeing with an
// implied "номер", not with the neuter "вікно"). The one place where grammar
// changes a word is тисяча, which is feminine and governs its numeral: 1000 is
// "тисяча" (the spoken form, without "одна"), 1001 "тисяча один", 2000 "дві
// тисячі", 3000 "три тисячі", 5000 "п'ять тисяч". The apostrophe is the ASCII
// ' (п'ять, дев'ять, дев'яносто, м'який знак), as in the rest of cherga.
//
// Prefix letters are said by their Ukrainian names (Б "бе", Й "йот", Ь "м'який
// знак") and written in Text as printed on the ticket ("Талон АБ сім, ...").
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
// References:
//   - Український правопис (2019): the apostrophe, and the declension of numerals.
//   - Постанова КМУ від 27.01.2010 № 55 "Про впорядкування транслітерації
//     українського алфавіту латиницею".
package audio
