package ocsf

import (
	"encoding/json"
	"reflect"
)

// Decode decodes one bare OCSF finding of any class. It reads class_uid and
// returns the generated type of that class (*DetectionFinding for 2004, ...),
// or an *OtherEvent holding the raw JSON when the class is not one of 2001 to
// 2008.
//
// Decoding is lossless. Attributes the generated types do not define (those
// of later OCSF releases, or anything else, at any depth) are kept, and so
// are values of the wrong JSON type, nulls, and integers too large for their
// field: each is stored verbatim in its object (see the Extra method) instead
// of failing the decode, and MarshalJSON writes all of it back. Checking the
// finding against the schema is the [Validator]'s job.
//
// The error, for input that is not valid JSON or not a JSON object, is a
// *[DecodeError] wrapping a *json.SyntaxError or *json.UnmarshalTypeError.
// data is not retained.
func Decode(data []byte) (Finding, error) {
	return decodeFinding(data)
}

func decodeFinding(data []byte, prefix ...string) (Finding, error) {
	class, ok, err := peekClass(data)
	if err != nil {
		return nil, decodeFailure(data, err, prefix...)
	}
	var f Finding
	if ok {
		switch class {
		case ClassSecurityFinding:
			f, err = decodeAs[SecurityFinding](data)
		case ClassVulnerabilityFinding:
			f, err = decodeAs[VulnerabilityFinding](data)
		case ClassComplianceFinding:
			f, err = decodeAs[ComplianceFinding](data)
		case ClassDetectionFinding:
			f, err = decodeAs[DetectionFinding](data)
		case ClassIncidentFinding:
			f, err = decodeAs[IncidentFinding](data)
		case ClassDataSecurityFinding:
			f, err = decodeAs[DataSecurityFinding](data)
		case ClassApplicationSecurityPostureFinding:
			f, err = decodeAs[ApplicationSecurityPostureFinding](data)
		case ClassIAMAnalysisFinding:
			f, err = decodeAs[IAMAnalysisFinding](data)
		}
	}
	if f == nil && err == nil {
		f, err = decodeOther(data, class)
	}
	if err != nil {
		return nil, decodeFailure(data, err, prefix...)
	}
	return f, nil
}

// peekClass reads the top-level class_uid, stopping as soon as it finds an
// integer one (Security Hub writes it near the start). ok is false when there
// is none; the whole document has then been checked.
func peekClass(data []byte) (class ClassUID, ok bool, err error) {
	d := decoder{data: data}
	if d.peek() != '{' {
		return 0, false, notObject(&d, reflect.TypeFor[Finding]())
	}
	more, err := d.openObject()
	for more && err == nil {
		var k []byte
		if k, err = d.key(); err != nil {
			return 0, false, err
		}
		if string(k) == "class_uid" {
			v, isInt, err := d.intToken(-1<<31, 1<<31-1)
			if err != nil {
				return 0, false, inKey(err, k)
			}
			if isInt {
				return ClassUID(v), true, nil
			}
		}
		if err = d.skipValue(); err != nil {
			return 0, false, inKey(err, k)
		}
		more, err = d.nextMember()
	}
	if err != nil {
		return 0, false, err
	}
	return 0, false, d.end()
}

// notObject returns the error for a document whose top-level value is not an
// object: a syntax error if it is not valid JSON, else a type error.
func notObject(d *decoder, t reflect.Type) error {
	start := d.peekPos()
	if err := d.skipValue(); err != nil {
		return err
	}
	if err := d.end(); err != nil {
		return err
	}
	kind := "value"
	switch d.data[start] {
	case '[':
		kind = "array"
	case '"':
		kind = "string"
	case 't', 'f':
		kind = "bool"
	case 'n':
		kind = "null"
	default:
		kind = "number"
	}
	return &json.UnmarshalTypeError{Value: kind, Type: t, Offset: int64(start)}
}

// decodeAs decodes a whole document into a new T.
func decodeAs[T any, P decodable[T]](data []byte) (P, error) {
	d := decoder{data: data}
	if d.peek() != '{' {
		return nil, notObject(&d, reflect.TypeFor[T]())
	}
	v := P(new(T))
	if err := v.decodeJSON(&d); err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return v, nil
}

// decodeOther keeps an event of a class without a generated type. The
// summary is read with the layout of the findings classes.
func decodeOther(data []byte, class ClassUID) (*OtherEvent, error) {
	view, err := decodeAs[DetectionFinding](data)
	if err != nil {
		return nil, err
	}
	s := view.summary()
	s.ClassUID = class
	s.ClassName = view.ClassName
	s.CategoryUID = int32(view.CategoryUID)
	s.TypeUID = int64(view.TypeUID)
	return &OtherEvent{Class: class, Raw: append(json.RawMessage(nil), data...), summary: s}, nil
}

// unmarshal is the UnmarshalJSON method of the generated types: it decodes
// data into x, which is left unchanged on error. null is a no-op, as with
// encoding/json.
func unmarshal[T any, P decodable[T]](data []byte, x P) error {
	d := decoder{data: data}
	if d.peek() == 'n' {
		if d.literal("null") == nil && d.end() == nil {
			return nil
		}
	}
	v, err := decodeAs[T, P](data)
	if err != nil {
		return decodeFailure(data, err)
	}
	*x = *v
	return nil
}
