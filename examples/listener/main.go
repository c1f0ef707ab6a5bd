// The listener command is a ready-to-run EventBridge API-destination
// endpoint for AWS Security Hub findings: it authenticates each delivery,
// validates its OCSF findings, appends what it accepts to a durable JSON-lines
// file (fsync before answering 200), keeps what it refuses as dead letters,
// and remembers accepted event ids across restarts.
//
//	go run ./examples/listener                      # 127.0.0.1:8080, a generated API key
//	go run ./examples/listener -addr :8443 -tls-cert cert.pem -tls-key key.pem
//	go run ./examples/listener -replay              # replay dead letters, then exit
//
// Everything has a default (the embedded config.json; -config FILE overrides
// it, flags override both). Credentials come from flags or, better, the
// environment:
//
//	OCSFHUB_API_KEY              API key (else one is generated and kept in <data>/api-key)
//	OCSFHUB_BASIC_PASSWORD       password for -basic-user
//	OCSFHUB_OAUTH_CLIENT_SECRET  client secret for -oauth-client-id (else generated, kept in <data>)
//	OCSFHUB_TOKEN_SIGNING_KEY    HMAC key for OAuth tokens (else generated, kept in <data>)
//
// The data directory (-data) holds accepted.jsonl (one line per accepted
// finding), dead-letters/ (one file per refused request) and seen.db (event
// ids already accepted). The remediation engine will replace the file sink;
// the rest stays.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/listener/boltstore"
	"github.com/ocsfhub/ocsfhub/listener/filesink"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

//go:embed config.json
var defaultConfig []byte

// config is the file format of config.json.
type config struct {
	Addr                    string   `json:"addr"`
	Path                    string   `json:"path"`
	TokenPath               string   `json:"token_path"`
	DataDir                 string   `json:"data_dir"`
	APIKeyHeader            string   `json:"api_key_header"`
	StaticAuthFailureStatus int      `json:"static_auth_failure_status"`
	ValidationMode          string   `json:"validation_mode"`
	DetailTypes             []string `json:"detail_types"`
	MaxBodyBytes            int64    `json:"max_body_bytes"`
	HandoffTimeout          duration `json:"handoff_timeout"`
	MaxInFlight             int      `json:"max_in_flight"`
	DedupeTTL               duration `json:"dedupe_ttl"`
	TokenTTL                duration `json:"token_ttl"`
	LogFormat               string   `json:"log_format"`
	LogLevel                string   `json:"log_level"`
}

// duration is a time.Duration written as "3.5s" in JSON.
type duration time.Duration

// UnmarshalJSON reads a Go duration string ("3.5s").
func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"3.5s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

// MarshalJSON writes a Go duration string.
func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "listener:", err)
		}
		os.Exit(1)
	}
}

// run is main without the process: testable, and stoppable through ctx.
// ready, if not nil, is called with the bound address once serving.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(net.Addr)) error {
	var cfg config
	if err := json.Unmarshal(defaultConfig, &cfg); err != nil {
		return fmt.Errorf("embedded config: %w", err)
	}
	fs := flag.NewFlagSet("listener", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "JSON config file overriding the embedded defaults (see -print-config)")
	printConfig := fs.Bool("print-config", false, "print the effective configuration and exit")
	addr := fs.String("addr", "", "listen address (default from config: "+cfg.Addr+")")
	dataDir := fs.String("data", "", "data directory (default from config: "+cfg.DataDir+")")
	apiKey := fs.String("api-key", "", "API key (prefer OCSFHUB_API_KEY; default: generated and kept in the data directory)")
	basicUser := fs.String("basic-user", "", "also accept Basic auth for this user (password from OCSFHUB_BASIC_PASSWORD)")
	oauthClient := fs.String("oauth-client-id", "", "also accept OAuth bearer tokens: serve the token endpoint for this client id")
	tlsCert := fs.String("tls-cert", "", "TLS certificate (PEM); with -tls-key, serve HTTPS")
	tlsKey := fs.String("tls-key", "", "TLS private key (PEM)")
	replay := fs.Bool("replay", false, "replay the dead letters through validation and the sink, then exit")
	warmDir := fs.String("warmup", filepath.Join("testdata", "findings"), "directory of sample events or findings whose schemas are compiled at start (skipped if absent)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *configPath != "" {
		b, err := os.ReadFile(*configPath)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return fmt.Errorf("%s: %w", *configPath, err)
		}
	}
	if *addr != "" {
		cfg.Addr = *addr
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if *printConfig {
		b, _ := json.MarshalIndent(cfg, "", "  ")
		_, err := fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("-tls-cert and -tls-key go together")
	}
	logger, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	mode := ocsf.ModeCompatible
	switch cfg.ValidationMode {
	case "compatible", "":
	case "strict":
		mode = ocsf.ModeStrict
	default:
		return fmt.Errorf("validation_mode %q: want compatible or strict", cfg.ValidationMode)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}

	// Credentials.
	creds := listener.Credentials{APIKeyHeader: cfg.APIKeyHeader}
	key, keyOrigin, err := secretFrom(*apiKey, getenv("OCSFHUB_API_KEY"), filepath.Join(cfg.DataDir, "api-key"))
	if err != nil {
		return err
	}
	creds.APIKeys = []listener.Secret{key}
	if *basicUser != "" {
		pw := getenv("OCSFHUB_BASIC_PASSWORD")
		if pw == "" {
			return errors.New("-basic-user needs OCSFHUB_BASIC_PASSWORD")
		}
		creds.Basic = []listener.BasicUser{{Username: *basicUser, Password: listener.Secret(pw)}}
	}
	var issuer *listener.TokenIssuer
	var clientSecret listener.Secret
	var clientOrigin string
	if *oauthClient != "" {
		clientSecret, clientOrigin, err = secretFrom("", getenv("OCSFHUB_OAUTH_CLIENT_SECRET"), filepath.Join(cfg.DataDir, "oauth-client-secret"))
		if err != nil {
			return err
		}
		signing, _, err := secretFrom("", getenv("OCSFHUB_TOKEN_SIGNING_KEY"), filepath.Join(cfg.DataDir, "token-signing-key"))
		if err != nil {
			return err
		}
		issuer, err = listener.NewTokenIssuer(listener.TokenOptions{
			Keys:    []listener.SigningKey{{ID: "k1", Secret: signing}},
			Clients: []listener.OAuthClient{{ID: *oauthClient, Secret: clientSecret}},
			TTL:     time.Duration(cfg.TokenTTL),
			Logger:  logger,
		})
		if err != nil {
			return err
		}
		creds.OAuth = issuer
	}

	// Storage: accepted findings, dead letters, seen ids.
	sink, err := filesink.Open(filepath.Join(cfg.DataDir, "accepted.jsonl"), filesink.Options{})
	if err != nil {
		return err
	}
	defer sink.Close()
	seen, err := boltstore.Open(filepath.Join(cfg.DataDir, "seen.db"), boltstore.Options{})
	if err != nil {
		return err
	}
	defer seen.Close()
	dead, err := listener.NewDirDeadLetters(filepath.Join(cfg.DataDir, "dead-letters"))
	if err != nil {
		return err
	}
	logged := listener.SinkFunc(func(ctx context.Context, ev *ocsf.Event, f ocsf.Finding) error {
		if err := sink.Accept(ctx, ev, f); err != nil {
			return err
		}
		s := f.Summary()
		logger.LogAttrs(ctx, slog.LevelInfo, "finding stored",
			slog.String("event_id", ev.ID), slog.String("finding_uid", s.UID), slog.String("class", f.ClassUID().String()),
			slog.String("severity", s.Severity), slog.String("product", s.ProductName), slog.String("title", s.Title),
			slog.String("account", s.AccountUID), slog.String("region", s.Region))
		return nil
	})
	// Compile the schemas of the samples now, not within a request's budget.
	validator, err := ocsf.NewValidator(&ocsf.ValidatorOptions{Mode: mode, Logger: logger})
	if err != nil {
		return err
	}
	if n := warmUp(validator, *warmDir); n > 0 {
		logger.Info("validator warmed up", "samples", n, "dir", *warmDir)
	}
	stats := &listener.Stats{}
	h, err := listener.New(listener.Options{
		Sink:                    logged,
		Credentials:             creds,
		StaticAuthFailureStatus: cfg.StaticAuthFailureStatus,
		DeadLetters:             dead,
		Seen:                    seen,
		DedupeTTL:               time.Duration(cfg.DedupeTTL),
		Validator:               validator,
		DetailTypes:             cfg.DetailTypes,
		MaxBodyBytes:            cfg.MaxBodyBytes,
		HandoffTimeout:          time.Duration(cfg.HandoffTimeout),
		MaxInFlight:             cfg.MaxInFlight,
		Logger:                  logger,
		Observer:                stats,
	})
	if err != nil {
		return err
	}

	if *replay {
		rep, err := h.Replay(ctx)
		fmt.Fprintf(stdout, "replayed: %d accepted, %d duplicates, %d still refused, %d failed transiently\n",
			rep.Accepted, rep.Duplicates, len(rep.Refused), len(rep.Failed))
		return err
	}

	mux := http.NewServeMux()
	mux.Handle(cfg.Path, h)
	if issuer != nil {
		mux.Handle(cfg.TokenPath, issuer)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if *tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			_ = ln.Close()
			return err
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	url := scheme + "://" + displayAddr(ln.Addr()) + cfg.Path
	fmt.Fprintf(stdout, "ocsfhub listener on %s\n", url)
	fmt.Fprintf(stdout, "API key (header %s, %s): %s\n", headerName(cfg.APIKeyHeader), keyOrigin, string(key))
	if *basicUser != "" {
		fmt.Fprintf(stdout, "Basic auth: user %s, password from OCSFHUB_BASIC_PASSWORD\n", *basicUser)
	}
	if issuer != nil {
		fmt.Fprintf(stdout, "OAuth token endpoint: %s://%s%s  client id %s, client secret (%s): %s\n",
			scheme, displayAddr(ln.Addr()), cfg.TokenPath, *oauthClient, clientOrigin, string(clientSecret))
	}
	fmt.Fprintf(stdout, "data: %s (accepted.jsonl, dead-letters/, seen.db)\n", cfg.DataDir)
	fmt.Fprintf(stdout, "try:\n  curl -sS -X POST %s -H 'Content-Type: application/json' -H '%s: %s' --data-binary @testdata/findings/guardduty-ec2-unauthorized-access.json\n",
		url, headerName(cfg.APIKeyHeader), string(key))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", h.HandoffTimeout()+2*time.Second)
	sctx, cancel := context.WithTimeout(context.Background(), h.HandoffTimeout()+2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := h.Drain(sctx); err != nil {
		logger.Error("requests still running at exit", "error", err)
	}
	snap := stats.Snapshot()
	logger.Info("stopped", "requests", snap.Count, "outcomes", snap.Outcomes)
	// Deferred: seen.Close, sink.Close (commits and syncs what is queued).
	return nil
}

// warmUp validates every finding of the *.json files in dir (events or bare
// findings) and returns how many it validated.
func warmUp(v *ocsf.Validator, dir string) int {
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		raws := []json.RawMessage{b}
		if ev, err := ocsf.DecodeEvent(b); err == nil && len(ev.Detail.Findings) > 0 {
			raws = ev.Detail.Findings
		}
		for _, raw := range raws {
			v.Validate(raw)
			n++
		}
	}
	return n
}

func headerName(h string) string {
	if h == "" {
		return listener.DefaultAPIKeyHeader
	}
	return h
}

// displayAddr turns a wildcard listen address into one curl can use.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// secretFrom returns the flag value, else the environment value, else the
// content of file, else a new random secret saved to file (mode 0600).
func secretFrom(flagValue, envValue, file string) (listener.Secret, string, error) {
	switch {
	case flagValue != "":
		return listener.Secret(flagValue), "from the flag", nil
	case envValue != "":
		return listener.Secret(envValue), "from the environment", nil
	}
	if b, err := os.ReadFile(file); err == nil {
		if s := strings.TrimSpace(string(b)); s != "" {
			return listener.Secret(s), "kept in " + file, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", "", err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", "", err
	}
	s := base64.RawURLEncoding.EncodeToString(raw[:])
	if err := os.WriteFile(file, []byte(s+"\n"), 0o600); err != nil {
		return "", "", err
	}
	return listener.Secret(s), "generated, saved in " + file, nil
}

func newLogger(cfg config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("log_level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch cfg.LogFormat {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log_format %q: want text or json", cfg.LogFormat)
}
