package schemas_test

import (
	"fmt"

	"github.com/ocsfhub/ocsfhub/ocsf/schemas"
)

func ExampleVersions() {
	for _, v := range schemas.Versions() {
		gz, err := schemas.Model(v)
		if err != nil {
			panic(err)
		}
		fmt.Println(v, len(gz) > 0)
	}
	// Output:
	// 1.6.0 true
	// 1.7.0 true
	// 1.8.0 true
}
