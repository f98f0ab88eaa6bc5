package audio

import (
	"fmt"
	"strings"
)

// Notice is what an announcer says of the office by itself, not a call:
// the start and the end of an air-raid alert, which {root}/load tells
// (Announcer.Office).
type Notice int

const (
	// AlertNotice: an air-raid alert began; everyone goes to the shelter.
	// «Увага! Повітряна тривога. Пройдіть до найближчого укриття.»
	AlertNotice Notice = iota + 1
	// AllClearNotice: the alert ended and the office works again.
	// «Відбій тривоги. Прийом відновлено.»
	AllClearNotice
	// AlertEndedNotice: the alert ended, and the office does not work yet
	// (it stays paused, or it is outside its hours). «Відбій тривоги.»
	AlertEndedNotice
)

// String is the notice's name, also its id in an Announcement: "alert",
// "all_clear", "alert_ended".
func (n Notice) String() string {
	switch n {
	case AlertNotice:
		return "alert"
	case AllClearNotice:
		return "all_clear"
	case AlertEndedNotice:
		return "alert_ended"
	}
	return fmt.Sprintf("Notice(%d)", int(n))
}

// noticeClips are the clips of each notice, a sentence a clip, so the
// voice pauses between sentences as a reader would.
var noticeClips = map[Notice][]string{
	AlertNotice:      {"phrase/attention", "phrase/air_raid_alert", "phrase/go_to_shelter"},
	AllClearNotice:   {"phrase/all_clear", "phrase/service_resumes"},
	AlertEndedNotice: {"phrase/all_clear"},
}

// noticeTexts are the sentences of the clips, by language: what the
// phrase's Text joins and what a pack is synthesized from.
var noticeTexts = map[string]map[string]string{
	"uk": {
		"phrase/attention":       "Увага!",
		"phrase/air_raid_alert":  "Повітряна тривога.",
		"phrase/go_to_shelter":   "Пройдіть до найближчого укриття.",
		"phrase/all_clear":       "Відбій тривоги.",
		"phrase/service_resumes": "Прийом відновлено.",
	},
	"en": {
		"phrase/attention":       "Attention!",
		"phrase/air_raid_alert":  "Air-raid alert.",
		"phrase/go_to_shelter":   "Please proceed to the nearest shelter.",
		"phrase/all_clear":       "All clear.",
		"phrase/service_resumes": "Service has resumed.",
	},
}

// AnnounceNotice builds notice n in language lang ("uk" or "en"):
// «Увага! Повітряна тривога. Пройдіть до найближчого укриття.» /
// "Attention! Air-raid alert. Please proceed to the nearest shelter." (as
// the hall board and the kiosks say it) The errors are ErrLang, and ErrNotice
// for a notice there is none of.
func AnnounceNotice(lang string, n Notice) (Phrase, error) {
	if err := checkLang(lang); err != nil {
		return Phrase{}, err
	}
	ids, ok := noticeClips[n]
	if !ok {
		return Phrase{}, fmt.Errorf("%w: %d", ErrNotice, int(n))
	}
	p := Phrase{Lang: lang}
	var text []string
	for _, id := range ids {
		p.Clips = append(p.Clips, lang+"/"+id)
		text = append(text, noticeTexts[lang][id])
	}
	p.Text = strings.Join(text, " ")
	return p, nil
}
