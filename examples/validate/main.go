// The validate command checks OCSF findings with the ocsf package's
// Validator and prints one JSON object per finding:
//
//	{"file":"guardduty.json","index":0,"class_uid":2004,"version":"1.6.0","schema_version":"1.6.0",
//	 "errors":[{"pointer":"/type_uid","code":"type_uid_mismatch","message":"..."}],"warnings":[]}
//
// Each input (a file named on the command line, or standard input when there
// is none or the name is "-") holds a bare finding or an EventBridge event
// (detail-type "Findings Imported V2", findings in detail.findings); which
// one is detected. An input may also hold several such JSON values one after
// the other (JSON Lines). index is the position of the finding in its event
// (0 for a bare finding).
//
// The exit status is 0 when every finding is valid (warnings allowed), 1 when
// any has an error, and 2 on a usage or I/O failure.
//
// Usage:
//
//	go run ./examples/validate [-strict] [-recommended] [file ...]
//
// -strict applies the OCSF server's validator semantics (unknown attributes,
// later metadata.version, unknown profiles and observable names become
// errors); -recommended also warns about missing recommended attributes.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// report is the line printed for one finding.
type report struct {
	File          string    `json:"file"`
	Index         int       `json:"index"`
	ClassUID      int32     `json:"class_uid"`
	Version       string    `json:"version"`
	SchemaVersion string    `json:"schema_version"`
	Errors        []problem `json:"errors"`
	Warnings      []problem `json:"warnings"`
}

type problem struct {
	Pointer string `json:"pointer"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// maxInput bounds what is read from one input: a few findings at the
// validator's default 1 MiB limit each.
const maxInput = 64 << 20

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strict := fs.Bool("strict", false, "OCSF server semantics: tolerate nothing beyond the schema")
	recommended := fs.Bool("recommended", false, "warn about missing recommended attributes")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: validate [-strict] [-recommended] [file ...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts := &ocsf.ValidatorOptions{WarnMissingRecommended: *recommended}
	if *strict {
		opts.Mode = ocsf.ModeStrict
	}
	v, err := ocsf.NewValidator(opts)
	if err != nil {
		fmt.Fprintln(stderr, "validate:", err)
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	enc := json.NewEncoder(stdout)
	status := 0
	for _, name := range files {
		data, err := readInput(name, stdin)
		if err != nil {
			fmt.Fprintln(stderr, "validate:", err)
			return 2
		}
		for _, r := range validateInput(v, name, data) {
			if len(r.Errors) > 0 {
				status = 1
			}
			if err := enc.Encode(r); err != nil {
				fmt.Fprintln(stderr, "validate:", err)
				return 2
			}
		}
	}
	return status
}

func readInput(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxInput {
		return nil, fmt.Errorf("%s: more than %d bytes", name, maxInput)
	}
	return data, nil
}

// validateInput validates every finding of one input.
func validateInput(v *ocsf.Validator, name string, data []byte) []report {
	var out []report
	for _, doc := range splitValues(data) {
		if !isEnvelope(doc) {
			out = append(out, newReport(name, 0, v.Validate(doc)))
			continue
		}
		ev, err := ocsf.DecodeEvent(doc)
		if err != nil {
			out = append(out, report{File: name, Errors: []problem{{Code: ocsf.CodeJSON, Message: err.Error()}}, Warnings: []problem{}})
			continue
		}
		if len(ev.Detail.Findings) == 0 {
			out = append(out, report{File: name, Errors: []problem{{Pointer: "/detail/findings", Code: ocsf.CodeRequired,
				Message: "the event carries no finding"}}, Warnings: []problem{}})
		}
		for i, raw := range ev.Detail.Findings {
			out = append(out, newReport(name, i, v.Validate(raw)))
		}
	}
	return out
}

// splitValues splits a JSON Lines input into its values. Input that is not
// a sequence of JSON values is returned whole, for the validator to report.
func splitValues(data []byte) [][]byte {
	dec := json.NewDecoder(bytes.NewReader(data))
	var vals [][]byte
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return [][]byte{data}
		}
		vals = append(vals, raw)
	}
	if len(vals) == 0 {
		return [][]byte{data}
	}
	return vals
}

// isEnvelope reports whether doc is an EventBridge event: an object with a
// detail object holding findings.
func isEnvelope(doc []byte) bool {
	var probe struct {
		Detail *struct {
			Findings json.RawMessage `json:"findings"`
		} `json:"detail"`
	}
	return json.Unmarshal(doc, &probe) == nil && probe.Detail != nil && probe.Detail.Findings != nil
}

func newReport(file string, index int, res *ocsf.Result) report {
	r := report{
		File: file, Index: index, ClassUID: int32(res.ClassUID),
		Version: res.Version, SchemaVersion: res.SchemaVersion,
		Errors: []problem{}, Warnings: []problem{},
	}
	for _, p := range res.Problems {
		q := problem{Pointer: p.Pointer, Code: p.Code, Message: p.Message}
		if p.Severity == ocsf.SeverityError {
			r.Errors = append(r.Errors, q)
		} else {
			r.Warnings = append(r.Warnings, q)
		}
	}
	return r
}
