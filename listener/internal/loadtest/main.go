// The loadtest command measures the listener on loopback: it starts, in
// this process, the full handler (API key authentication, validation,
// duplicate check, a durable file sink with fsync) and a baseline handler
// that only reads the body, each on its own 127.0.0.1 port, and drives them
// with realistic Security Hub events (a fresh event id per request) at the
// maximum rate and at a fixed rate.
//
//	go run ./listener/internal/loadtest                      # both phases, both handlers
//	go run ./listener/internal/loadtest -phase fixed -rate 1000 -duration 10s
//	go run ./listener/internal/loadtest -close               # a new connection per request, like EventBridge
//
// It reports requests/s, p50/p90/p99/max latency and the CPU time the
// process spent per request (client included: both run in this process,
// sharing the machine's cores). The fixed-rate phase is open-loop: latency
// counts from the moment a request was due, so a stalled server cannot hide
// its queue (no coordinated omission). Everything is bounded: at most 60 s
// per phase, only 127.0.0.1.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/listener/boltstore"
	"github.com/ocsfhub/ocsfhub/listener/filesink"
	"github.com/ocsfhub/ocsfhub/listener/listenertest"
)

const apiKey = listener.Secret("loadtest-api-key-0123456789abcdef")

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type options struct {
	phase       string
	target      string
	duration    time.Duration
	concurrency int
	rate        int
	noSync      bool
	closeConns  bool
	seen        string
	fixture     string
	cpuProfile  string
}

func run(args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.StringVar(&o.phase, "phase", "both", "max, fixed or both")
	fs.StringVar(&o.target, "target", "both", "listener, baseline or both")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each phase (at most 60s)")
	fs.IntVar(&o.concurrency, "concurrency", 32, "concurrent clients in the max-rate phase")
	fs.IntVar(&o.rate, "rate", 1000, "requests per second in the fixed-rate phase (at most 20000)")
	fs.BoolVar(&o.noSync, "nofsync", false, "file sink without fsync")
	fs.BoolVar(&o.closeConns, "close", false, "one connection per request (Connection: close, as EventBridge)")
	fs.StringVar(&o.seen, "seen", "memory", "seen-id store: memory or bolt (persistent, fsync)")
	fs.StringVar(&o.fixture, "fixture", "", "event or finding JSON (default: testdata/findings/guardduty-ec2-unauthorized-access.json)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if o.duration <= 0 || o.duration > time.Minute {
		return errors.New("-duration must be in (0, 60s]")
	}
	if o.concurrency < 1 || o.concurrency > 512 || o.rate < 1 || o.rate > 20000 {
		return errors.New("-concurrency must be in [1, 512] and -rate in [1, 20000]")
	}
	tmpl, off, err := template(o.fixture)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ocsfhub-loadtest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	type target struct {
		name string
		h    http.Handler
	}
	var targets []target
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c()
		}
	}()
	if o.target == "both" || o.target == "listener" {
		h, closeAll, err := newListener(dir, o)
		if err != nil {
			return err
		}
		closers = append(closers, closeAll)
		targets = append(targets, target{"listener", h})
	}
	if o.target == "both" || o.target == "baseline" {
		targets = append(targets, target{"baseline", http.HandlerFunc(baseline)})
	}
	if len(targets) == 0 {
		return fmt.Errorf("-target %q: want listener, baseline or both", o.target)
	}
	fmt.Fprintf(out, "GOMAXPROCS=%d NumCPU=%d body=%d bytes fsync=%v seen=%s connections=%s\n",
		runtime.GOMAXPROCS(0), runtime.NumCPU(), len(tmpl), !o.noSync, o.seen, map[bool]string{true: "close", false: "keep-alive"}[o.closeConns])
	if p50, p99, err := fsyncProbe(dir); err == nil {
		fmt.Fprintf(out, "disk: fsync of a 4 KiB append p50=%v p99=%v (50 samples, before the run)\n", p50.Round(time.Microsecond), p99.Round(time.Microsecond))
	}
	var seq atomic.Uint64
	for _, t := range targets {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: t.h, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		url := "http://" + ln.Addr().String() + "/findings"
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, DisableKeepAlives: o.closeConns, DisableCompression: true,
		}}
		next := func() []byte {
			body := bytes.Clone(tmpl)
			s := strconv.FormatUint(seq.Add(1), 16)
			copy(body[off:off+12], "000000000000"[len(s):]+s)
			return body
		}
		// Warm-up (schema compilation, connections), not measured.
		if _, err := measureMax(client, url, next, 4, 300*time.Millisecond); err != nil {
			return fmt.Errorf("%s warm-up: %w", t.name, err)
		}
		if o.phase == "both" || o.phase == "max" {
			r, err := measureMax(client, url, next, o.concurrency, o.duration)
			if err != nil {
				return err
			}
			r.print(out, fmt.Sprintf("%-8s max rate, %d clients", t.name, o.concurrency))
		}
		if o.phase == "both" || o.phase == "fixed" {
			r, err := measureFixed(client, url, next, o.rate, o.duration)
			if err != nil {
				return err
			}
			r.print(out, fmt.Sprintf("%-8s fixed %d req/s", t.name, o.rate))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(ctx)
		cancel()
		client.CloseIdleConnections()
	}
	return nil
}

func newListener(dir string, o options) (http.Handler, func() error, error) {
	sink, err := filesink.Open(filepath.Join(dir, "accepted.jsonl"), filesink.Options{NoSync: o.noSync})
	if err != nil {
		return nil, nil, err
	}
	dead, err := listener.NewDirDeadLetters(filepath.Join(dir, "dead-letters"))
	if err != nil {
		return nil, nil, err
	}
	opts := listener.Options{
		Sink:        sink,
		Credentials: listener.Credentials{APIKeys: []listener.Secret{apiKey}},
		DeadLetters: dead,
		MaxInFlight: 1024,
	}
	closeAll := sink.Close
	switch o.seen {
	case "memory":
	case "bolt":
		st, err := boltstore.Open(filepath.Join(dir, "seen.db"), boltstore.Options{})
		if err != nil {
			return nil, nil, err
		}
		opts.Seen = st
		closeAll = func() error { return errors.Join(sink.Close(), st.Close()) }
	default:
		return nil, nil, fmt.Errorf("-seen %q: want memory or bolt", o.seen)
	}
	h, err := listener.New(opts)
	return h, closeAll, err
}

// fsyncProbe times fsync on the disk the sink writes to.
func fsyncProbe(dir string) (p50, p99 time.Duration, err error) {
	f, err := os.CreateTemp(dir, "probe")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	lat := make([]time.Duration, 0, 50)
	for range 50 {
		if _, err := f.Write(buf); err != nil {
			return 0, 0, err
		}
		t := time.Now()
		if err := f.Sync(); err != nil {
			return 0, 0, err
		}
		lat = append(lat, time.Since(t))
	}
	slices.Sort(lat)
	return lat[25], lat[49], nil
}

func baseline(w http.ResponseWriter, r *http.Request) {
	if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 2<<20)); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"accepted"}`+"\n")
}

// template returns an event whose id ends with 12 rewritable hex digits.
func template(path string) ([]byte, int, error) {
	if path == "" {
		path = findFixture()
	}
	env, err := listenertest.ReadFixture(path)
	if err != nil {
		return nil, 0, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(env, &m); err != nil {
		return nil, 0, err
	}
	const id = "00000000-0000-4000-8000-000000000000"
	m["id"] = json.RawMessage(strconv.Quote(id))
	body, err := json.Marshal(m)
	if err != nil {
		return nil, 0, err
	}
	off := bytes.Index(body, []byte(id))
	return body, off + len(id) - 12, nil
}

// findFixture walks up to the module root for the default fixture.
func findFixture() string {
	dir, _ := os.Getwd()
	for {
		p := filepath.Join(dir, "testdata", "findings", "guardduty-ec2-unauthorized-access.json")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "listener", "testdata", "detection-finding.json")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "testdata/findings/guardduty-ec2-unauthorized-access.json"
		}
		dir = parent
	}
}

type result struct {
	elapsed   time.Duration
	ok, fail  int
	late      int // fixed rate: requests sent more than 1 ms after they were due
	latencies []time.Duration
	cpu       time.Duration
	firstErr  string
}

func (r *result) print(out io.Writer, label string) {
	slices.Sort(r.latencies)
	q := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
	}
	n := r.ok + r.fail
	cpuPer := time.Duration(0)
	if n > 0 {
		cpuPer = r.cpu / time.Duration(n)
	}
	fmt.Fprintf(out, "%-36s %7.0f req/s  ok=%d fail=%d  p50=%-9v p90=%-9v p99=%-9v max=%-9v cpu/req=%v",
		label, float64(r.ok)/r.elapsed.Seconds(), r.ok, r.fail,
		q(.50).Round(time.Microsecond), q(.90).Round(time.Microsecond), q(.99).Round(time.Microsecond),
		q(1).Round(time.Microsecond), cpuPer.Round(time.Microsecond))
	if r.late > 0 {
		fmt.Fprintf(out, " late=%d", r.late)
	}
	if r.firstErr != "" {
		fmt.Fprintf(out, " first-error=%q", r.firstErr)
	}
	fmt.Fprintln(out)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func post(client *http.Client, url string, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Amazon/EventBridge/ApiDestinations")
	req.Header.Set(listener.DefaultAPIKeyHeader, string(apiKey))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	return nil
}

// measureMax runs conc closed-loop clients for d.
func measureMax(client *http.Client, url string, next func() []byte, conc int, d time.Duration) (*result, error) {
	res := &result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	start := time.Now()
	deadline := start.Add(d)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			ok, fail := 0, 0
			var firstErr string
			for time.Now().Before(deadline) {
				body := next()
				t0 := time.Now()
				err := post(client, url, body)
				lat = append(lat, time.Since(t0))
				if err != nil {
					fail++
					if firstErr == "" {
						firstErr = err.Error()
					}
				} else {
					ok++
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.ok += ok
			res.fail += fail
			if res.firstErr == "" {
				res.firstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.cpu = cpuTime() - cpu0
	return res, nil
}

// measureFixed sends rate requests per second for d, open loop.
func measureFixed(client *http.Client, url string, next func() []byte, rate int, d time.Duration) (*result, error) {
	type job struct{ due time.Time }
	total := int(d.Seconds() * float64(rate))
	jobs := make(chan job, total)
	res := &result{latencies: make([]time.Duration, 0, total)}
	var mu sync.Mutex
	var wg sync.WaitGroup
	workers := min(512, max(16, rate/20))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if now := time.Now(); now.Before(j.due) {
					time.Sleep(j.due.Sub(now))
				} else if now.Sub(j.due) > time.Millisecond {
					mu.Lock()
					res.late++
					mu.Unlock()
				}
				err := post(client, url, next())
				lat := time.Since(j.due)
				mu.Lock()
				res.latencies = append(res.latencies, lat)
				if err != nil {
					res.fail++
					if res.firstErr == "" {
						res.firstErr = err.Error()
					}
				} else {
					res.ok++
				}
				mu.Unlock()
			}
		}()
	}
	cpu0 := cpuTime()
	start := time.Now().Add(10 * time.Millisecond)
	interval := time.Second / time.Duration(rate)
	for i := range total {
		jobs <- job{due: start.Add(time.Duration(i) * interval)}
	}
	close(jobs)
	wg.Wait()
	res.elapsed = time.Since(start)
	res.cpu = cpuTime() - cpu0
	return res, nil
}
