package ocsf_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

func TestDecodeEventFixture(t *testing.T) {
	data := mustRead(t, "../testdata/findings/guardduty-runtime-new-binary.json")
	ev, err := ocsf.DecodeEvent(data)
	if err != nil {
		t.Fatal(err)
	}
	if ev.DetailType != ocsf.DetailTypeFindingsImportedV2 || ev.Source != "aws.securityhub" || ev.Version != "0" ||
		ev.Account == "" || ev.Region == "" || ev.Time.IsZero() || len(ev.Detail.Findings) != 1 {
		t.Fatalf("event = %+v", ev)
	}
	fs, err := ev.Findings()
	if err != nil {
		t.Fatal(err)
	}
	d, ok := fs[0].(*ocsf.DetectionFinding)
	if !ok {
		t.Fatalf("finding is %T", fs[0])
	}
	if d.Summary().MetadataUID != ev.Resources[0] {
		t.Errorf("metadata.uid %q, envelope resources %v", d.Summary().MetadataUID, ev.Resources)
	}
}

func TestEventLossless(t *testing.T) {
	in := `{"version":"0","id":"e1","detail-type":"Findings Imported V2","source":"aws.securityhub",
		"account":"111122223333","time":"2019-04-11T21:52:17.000Z","region":"us-west-2","resources":["abc"],
		"replay-name":"r1","detail":{"findings":[{"class_uid":2004,"x":1}, 42],"extra":{"a":[1]}}}`
	ev, err := ocsf.DecodeEvent([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2019, 4, 11, 21, 52, 17, 0, time.UTC); !ev.Time.Equal(want) {
		t.Errorf("Time = %v", ev.Time)
	}
	if raw, _ := ev.Extra("replay-name"); string(raw) != `"r1"` {
		t.Errorf("replay-name kept as %s", raw)
	}
	if raw, _ := ev.Detail.Extra("extra"); string(raw) != `{"a":[1]}` {
		t.Errorf("detail.extra kept as %s", raw)
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if d := semanticDiff(t, []byte(in), out); d != "" {
		t.Errorf("(-in +out):\n%s", d)
	}
	if !strings.Contains(string(out), `"2019-04-11T21:52:17.000Z"`) {
		t.Errorf("time not written as received: %s", out)
	}
	// The second finding is not an object.
	_, err = ev.Findings()
	var te *json.UnmarshalTypeError
	var de *ocsf.DecodeError
	if !errors.As(err, &te) || !errors.As(err, &de) || de.Pointer != "/detail/findings/1" {
		t.Errorf("Findings error = %v", err)
	}
}

func TestEventFindingsErrorPointer(t *testing.T) {
	// A finding is kept raw by DecodeEvent; its syntax is checked there, so a
	// bad one fails DecodeEvent with the pointer into the event.
	_, err := ocsf.DecodeEvent([]byte(`{"detail":{"findings":[{"class_uid":2004},{"class_uid":2004,"x":tru}]}}`))
	var se *json.SyntaxError
	var de *ocsf.DecodeError
	if !errors.As(err, &se) || !errors.As(err, &de) || de.Pointer != "/detail/findings/1/x" {
		t.Errorf("DecodeEvent error = %v", err)
	}
	// A wrong type in the envelope is kept, not an error.
	ev, err := ocsf.DecodeEvent([]byte(`{"time":"not a time","resources":"abc","detail":{"findings":{}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Time.IsZero() || ev.Resources != nil || ev.Detail.Findings != nil {
		t.Errorf("event = %+v", ev)
	}
	if fs, err := ev.Findings(); err != nil || len(fs) != 0 {
		t.Errorf("Findings = %v, %v", fs, err)
	}
}

func TestEventBuilt(t *testing.T) {
	f := &ocsf.DetectionFinding{ActivityID: ocsf.ActivityIDCreate, SeverityID: ocsf.SeverityIDLow,
		Metadata: &ocsf.Metadata{UID: "abc"}}
	raw, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	ev := ocsf.Event{
		Version: "0", ID: "id-1", DetailType: ocsf.DetailTypeFindingsImportedV2, Source: "aws.securityhub",
		Account: "111122223333", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Region: "us-east-1",
		Resources: []string{"abc"}, Detail: ocsf.EventDetail{Findings: []json.RawMessage{raw}},
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":"0","id":"id-1","detail-type":"Findings Imported V2","source":"aws.securityhub",
		"account":"111122223333","time":"2026-01-02T03:04:05Z","region":"us-east-1","resources":["abc"],
		"detail":{"findings":[` + string(raw) + `]}}`
	if d := semanticDiff(t, []byte(want), out); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	var empty ocsf.Event
	out, _ = json.Marshal(empty)
	want = `{"version":"","id":"","detail-type":"","source":"","account":"","time":"0001-01-01T00:00:00Z",
		"region":"","resources":[],"detail":{"findings":[]}}`
	if d := semanticDiff(t, []byte(want), out); d != "" {
		t.Errorf("zero event (-want +got):\n%s", d)
	}
}
