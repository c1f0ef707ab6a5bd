package remediate

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
)

// ExportJSONLines writes the journal records matching q to w as JSON lines
// (one Record per line, in Seq order), paging through the journal.
// q.Limit caps the total (0: all).
func ExportJSONLines(ctx context.Context, j Journal, w io.Writer, q Query) error {
	const page = 1000
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	remaining := q.Limit
	for {
		pq := q
		pq.Limit = page
		if remaining > 0 && remaining < page {
			pq.Limit = remaining
		}
		recs, err := j.Query(ctx, pq)
		if err != nil {
			return err
		}
		for i := range recs {
			if err := enc.Encode(&recs[i]); err != nil {
				return err
			}
		}
		if remaining > 0 {
			remaining -= len(recs)
			if remaining <= 0 {
				break
			}
		}
		if len(recs) < pq.Limit {
			break
		}
		q.AfterSeq = recs[len(recs)-1].Seq
	}
	return bw.Flush()
}

// ExportJournal writes the journal records matching q as JSON lines.
func (e *Engine) ExportJournal(ctx context.Context, w io.Writer, q Query) error {
	return ExportJSONLines(ctx, e.store, w, q)
}
