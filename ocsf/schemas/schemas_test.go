package schemas_test

import (
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
	"github.com/ocsfhub/ocsfhub/ocsf/internal/validator"
	"github.com/ocsfhub/ocsfhub/ocsf/internal/validator/modelgen"
	"github.com/ocsfhub/ocsfhub/ocsf/schemas"
)

// TestEmbeddedAreFresh regenerates every model the way go generate does
// (our compiler on ../shared) and requires the embedded file to hold the same
// model. The decompressed JSON is compared, so a different gzip
// implementation cannot make it fail.
func TestEmbeddedAreFresh(t *testing.T) {
	shared := sharedtest.Dir(t)
	if got, want := strings.Join(schemas.Versions(), ","), strings.Join(modelgen.Versions, ","); got != want {
		t.Fatalf("schemas.Versions() = %s, generator writes %s", got, want)
	}
	for _, v := range schemas.Versions() {
		t.Run(v, func(t *testing.T) {
			gz, err := schemas.Model(v)
			if err != nil {
				t.Fatal(err)
			}
			embedded, err := validator.DecodeModel(gz)
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := modelgen.FromShared(shared, v, modelgen.SourceCompiler)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := validator.MarshalModelJSON(embedded)
			b, _ := validator.MarshalModelJSON(fresh)
			if string(a) != string(b) {
				d := modelgen.Diff(embedded, fresh)
				if len(d) > 20 {
					d = append(d[:20], "...")
				}
				t.Errorf("embedded model %s is stale; run go generate ./ocsf/schemas:\n%s", v, strings.Join(d, "\n"))
			}
		})
	}
}

func TestModel(t *testing.T) {
	for _, v := range schemas.Versions() {
		m, err := validator.DecodeModel(mustModel(t, v))
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if m.Version != v {
			t.Errorf("model %s says version %s", v, m.Version)
		}
		if m.ClassByUID(2004) == nil || !m.HasProfile("aws/cloud_resources") {
			t.Errorf("model %s lacks detection_finding or the AWS profile", v)
		}
	}
	if _, err := schemas.Model("1.5.0"); err == nil {
		t.Error("Model(1.5.0) succeeded")
	}
}

func mustModel(t *testing.T, v string) []byte {
	t.Helper()
	b, err := schemas.Model(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
