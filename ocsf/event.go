package ocsf

import (
	"encoding/json"
	"strconv"
	"time"
)

// DetailTypeFindingsImportedV2 is the detail-type of the EventBridge events
// that carry Security Hub's OCSF findings (source "aws.securityhub").
const DetailTypeFindingsImportedV2 = "Findings Imported V2"

// Event is an EventBridge event carrying Security Hub findings (detail-type
// "Findings Imported V2", source "aws.securityhub"). Security Hub sends one
// finding per event; Resources then holds that finding's metadata.uid.
//
// Decoding is lossless like [Decode]: other members of the envelope or of
// detail are kept (see Extra) and written back by MarshalJSON; a decoded
// event is written back as it was read, while one built in Go is written
// with every member shown below.
type Event struct {
	Version    string      `json:"version"`     // "0"
	ID         string      `json:"id"`          // unique per event; redeliveries repeat it
	DetailType string      `json:"detail-type"` // DetailTypeFindingsImportedV2
	Source     string      `json:"source"`      // "aws.securityhub"
	Account    string      `json:"account"`     // the account the event was sent in
	Time       time.Time   `json:"time"`        // RFC 3339; written back as received
	Region     string      `json:"region"`      // the Region the event was sent in
	Resources  []string    `json:"resources"`   // the finding's metadata.uid
	Detail     EventDetail `json:"detail"`      // the findings

	extState
	timeText string // time as received, written back while Time is unchanged
}

// EventDetail is the detail of an [Event].
type EventDetail struct {
	// Findings holds the raw bytes of each finding, exactly as received:
	// decode them with [Decode] or [Event.Findings].
	Findings []json.RawMessage `json:"findings"`

	extState
}

// Field indexes of Event and EventDetail, for the present-but-zero bits.
const (
	evVersion = iota
	evID
	evDetailType
	evSource
	evAccount
	evTime
	evRegion
	evResources
	evDetail
)

func eventField(name string) int {
	switch name {
	case "version":
		return evVersion
	case "id":
		return evID
	case "detail-type":
		return evDetailType
	case "source":
		return evSource
	case "account":
		return evAccount
	case "time":
		return evTime
	case "region":
		return evRegion
	case "resources":
		return evResources
	case "detail":
		return evDetail
	}
	return -1
}

func eventDetailField(name string) int {
	if name == "findings" {
		return 0
	}
	return -1
}

// DecodeEvent decodes an EventBridge event. The findings stay raw; decode
// them with [Event.Findings] or [Decode]. A member of the wrong JSON type
// (a time that is not an RFC 3339 string, findings that are not an array)
// is kept verbatim (see Extra) and its field left zero. The error, for input
// that is not a valid JSON object, is a *[DecodeError].
func DecodeEvent(data []byte) (*Event, error) {
	ev, err := decodeAs[Event](data)
	if err != nil {
		return nil, decodeFailure(data, err)
	}
	return ev, nil
}

// Findings decodes every finding of the event with [Decode]. On error it
// returns a *[DecodeError] whose Pointer locates the problem in the event
// ("/detail/findings/0/..."); its Offset counts from the start of that
// finding.
func (e *Event) Findings() ([]Finding, error) {
	out := make([]Finding, 0, len(e.Detail.Findings))
	for i, raw := range e.Detail.Findings {
		f, err := decodeFinding(raw, "detail", "findings", strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func (e *Event) decodeJSON(d *decoder) error {
	more, err := d.openObject()
	e.decoded = true
	for more && err == nil {
		var k []byte
		if k, err = d.key(); err != nil {
			return err
		}
		switch string(k) {
		case "version":
			err = d.str(&e.Version, &e.extState, evVersion, k)
		case "id":
			err = d.str(&e.ID, &e.extState, evID, k)
		case "detail-type":
			err = d.str(&e.DetailType, &e.extState, evDetailType, k)
		case "source":
			err = d.str(&e.Source, &e.extState, evSource, k)
		case "account":
			err = d.str(&e.Account, &e.extState, evAccount, k)
		case "time":
			err = e.decodeTime(d, k)
		case "region":
			err = d.str(&e.Region, &e.extState, evRegion, k)
		case "resources":
			err = scalars(d, &e.Resources, &e.extState, evResources, k, readString)
		case "detail":
			e.Detail = EventDetail{}
			if d.peek() != '{' {
				e.zero.clear(evDetail)
				err = d.keepField(&e.extState, k, evDetail)
				break
			}
			e.zero.set(evDetail)
			e.known(k, evDetail)
			err = e.Detail.decodeJSON(d)
		default:
			err = d.keep(&e.extState, k)
		}
		if err != nil {
			return inKey(err, k)
		}
		more, err = d.nextMember()
	}
	return err
}

// decodeTime reads the event time; anything but an RFC 3339 string is kept
// verbatim.
func (e *Event) decodeTime(d *decoder, k []byte) error {
	e.Time, e.timeText = time.Time{}, ""
	e.zero.clear(evTime)
	if d.peek() != '"' {
		return d.keepField(&e.extState, k, evTime)
	}
	start := d.pos
	s, err := d.readString()
	if err != nil {
		return err
	}
	t, perr := time.Parse(time.RFC3339Nano, s)
	if perr != nil {
		return d.rewindKeep(&e.extState, k, evTime, start, d.depth)
	}
	e.Time, e.timeText = t, s
	e.known(k, evTime)
	if t.IsZero() {
		e.zero.set(evTime)
	}
	return nil
}

func (e *Event) encodeJSON(enc *encoder) {
	if !enc.open('{') {
		return
	}
	st := fieldState{zero: e.zero}
	if !e.decoded {
		// Built in Go: write every member of the envelope.
		for i := evVersion; i <= evDetail; i++ {
			st.zero.set(i)
		}
	}
	enc.fieldString(&st, evVersion, `"version":`, e.Version)
	enc.fieldString(&st, evID, `"id":`, e.ID)
	enc.fieldString(&st, evDetailType, `"detail-type":`, e.DetailType)
	enc.fieldString(&st, evSource, `"source":`, e.Source)
	enc.fieldString(&st, evAccount, `"account":`, e.Account)
	if !e.Time.IsZero() || st.zero.has(evTime) {
		text := e.timeText
		if t, err := time.Parse(time.RFC3339Nano, text); err != nil || !t.Equal(e.Time) {
			text = e.Time.Format(time.RFC3339Nano)
		}
		enc.key(`"time":`)
		enc.str(text)
		st.done.set(evTime)
	}
	enc.fieldString(&st, evRegion, `"region":`, e.Region)
	if e.Resources != nil || !e.decoded {
		enc.key(`"resources":`)
		if e.Resources == nil {
			enc.buf = append(enc.buf, "[]"...)
		} else {
			scalarSlice(enc, e.Resources, writeString)
		}
		st.done.set(evResources)
	}
	if st.zero.has(evDetail) || e.Detail.Findings != nil || len(e.Detail.extra)+len(e.Detail.typed) > 0 {
		enc.key(`"detail":`)
		enc.object(&e.Detail)
		st.done.set(evDetail)
	}
	enc.extras(&e.extState, &st.done, eventField)
	enc.close('}')
}

func (x *EventDetail) decodeJSON(d *decoder) error {
	more, err := d.openObject()
	x.decoded = true
	for more && err == nil {
		var k []byte
		if k, err = d.key(); err != nil {
			return err
		}
		if string(k) == "findings" {
			err = scalars(d, &x.Findings, &x.extState, 0, k, readRaw)
		} else {
			err = d.keep(&x.extState, k)
		}
		if err != nil {
			return inKey(err, k)
		}
		more, err = d.nextMember()
	}
	return err
}

func (x *EventDetail) encodeJSON(e *encoder) {
	if !e.open('{') {
		return
	}
	st := fieldState{zero: x.zero}
	if x.Findings != nil || !x.decoded {
		e.key(`"findings":`)
		if x.Findings == nil {
			e.buf = append(e.buf, "[]"...)
		} else {
			scalarSlice(e, x.Findings, writeRaw)
		}
		st.done.set(0)
	}
	e.extras(&x.extState, &st.done, eventDetailField)
	e.close('}')
}

// MarshalJSON encodes the event; see [Event].
func (e Event) MarshalJSON() ([]byte, error) { return marshal(&e) }

// UnmarshalJSON decodes data into e, replacing its content; see
// [DecodeEvent].
func (e *Event) UnmarshalJSON(data []byte) error { return unmarshal(data, e) }

// MarshalJSON encodes the detail.
func (x EventDetail) MarshalJSON() ([]byte, error) { return marshal(&x) }

// UnmarshalJSON decodes data into x, replacing its content.
func (x *EventDetail) UnmarshalJSON(data []byte) error { return unmarshal(data, x) }
