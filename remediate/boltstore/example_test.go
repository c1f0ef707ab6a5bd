package boltstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
)

// One file holds the queue, the journal, the tasks, the approvals and the
// settings; give it to remediate.New.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "boltstore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := boltstore.Open(filepath.Join(dir, "remediate.db"), nil) // fsync on every commit
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	eng, err := remediate.New(store, remediate.Options{})
	if err != nil {
		log.Fatal(err)
	}
	st, err := store.QueueStats(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(eng != nil, st.Ready)
	// Output: true 0
}
