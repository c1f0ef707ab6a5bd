package validator

import "testing"

func BenchmarkCompileSchema(b *testing.B) {
	e := newEngine(b, Options{})
	m, c := classOf(b, e, "1.6.0", 2004)
	for _, tc := range []struct {
		name   string
		style  SchemaStyle
		native bool
		ps     ProfileSet
	}{
		{"native", StyleValidator, true, NewProfileSet("cloud", "datetime")},
		{"standard", StyleValidator, false, NewProfileSet("cloud", "datetime")},
		{"server-all", StyleServer, false, nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := compileJSONSchema(jsonSchema(m, c, tc.ps, tc.style, tc.native), "https://ocsfhub.invalid/x.json"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeModel(b *testing.B) {
	for b.Loop() {
		e := newEngine(b, Options{})
		if _, err := e.Model("1.8.0"); err != nil {
			b.Fatal(err)
		}
	}
}
