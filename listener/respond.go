package listener

import (
	"encoding/json"
	"net/http"
)

// writeJSON answers status with v as a small JSON body. EventBridge reads at
// most the first 1 MiB of a response (it sends Range: bytes=0-1048575), and
// every body written here is a few hundred bytes.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal_error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
