package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrChecksum is wrapped by errors about downloads whose content does not
// match the expected digest.
var ErrChecksum = errors.New("checksum mismatch")

// download describes one file to fetch.
type download struct {
	URL     string
	Dest    string // final path; the partial file is Dest+".incomplete"
	SHA256  string // expected sha256, lower-case hex, or ""
	GitSHA1 string // expected git blob id, lower-case hex, or ""
	Size    int64  // expected size, -1 when unknown
	Label   string // name shown in progress and errors
	Auth    bool   // send the Hugging Face token
}

const (
	defaultThreshold = 64 << 20
	defaultParts     = 4
	copyBufSize      = 256 << 10
	stateEvery       = 500 * time.Millisecond
	progressEvery    = 200 * time.Millisecond
	incompleteSuffix = ".incomplete"
	partsSuffix      = ".parts"
)

// errRangeUnsupported means the server answered a ranged request with the
// whole file or a different range, so parts cannot be fetched separately.
var errRangeUnsupported = errors.New("server does not honour byte ranges")

// permanentError marks errors that retrying will not fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }

func isPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

func (c *Client) threshold() int64 {
	if c.ParallelThreshold > 0 {
		return c.ParallelThreshold
	}
	return defaultThreshold
}

func (c *Client) parts() int {
	if c.Parts > 0 {
		return c.Parts
	}
	return defaultParts
}

func (c *Client) retryDelay() time.Duration {
	if c.RetryDelay > 0 {
		return c.RetryDelay
	}
	return time.Second
}

func (c *Client) stallTimeout() time.Duration {
	if c.StallTimeout > 0 {
		return c.StallTimeout
	}
	return 60 * time.Second
}

// present reports whether the final file already exists with the expected
// size. Files only reach their final name after verification.
func present(d download) bool {
	fi, err := os.Stat(d.Dest)
	return err == nil && fi.Mode().IsRegular() && (d.Size < 0 || fi.Size() == d.Size)
}

// downloadFile fetches d.URL into d.Dest. Bytes go to d.Dest+".incomplete"
// first; an earlier partial file is resumed with a Range request. Files of
// at least ParallelThreshold bytes are fetched as Parts ranged requests at
// once, with their progress kept in a ".parts" file beside the partial one.
// The file is checked against d.Size and d.SHA256 (or d.GitSHA1), synced
// and only then renamed to d.Dest. On any error the partial file is either
// left resumable or, when its content is known to be wrong, removed.
func (c *Client) downloadFile(ctx context.Context, d download) error {
	if d.Label == "" {
		d.Label = filepath.Base(d.Dest)
	}
	if present(d) {
		c.emit(Progress{Name: d.Label, Done: d.Size, Total: d.Size, Resumed: d.Size, Finished: true})
		return nil
	}
	dir := filepath.Dir(d.Dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating folder for %s: %w", d.Label, err)
	}
	part := d.Dest + incompleteSuffix
	state := part + partsSuffix
	f, err := openPartial(part)
	if err != nil {
		return fmt.Errorf("opening %s: %w", part, err)
	}
	closed := false
	closeFile := func() {
		if !closed {
			closed = true
			unlockFile(f)
			f.Close()
		}
	}
	defer closeFile()
	if err := lockFile(ctx, f); err != nil {
		return err
	}
	if present(d) {
		// Another process finished it while we waited for the lock.
		closeFile()
		if fi, err := os.Stat(part); err == nil && fi.Size() == 0 {
			os.Remove(part)
		}
		c.emit(Progress{Name: d.Label, Done: d.Size, Total: d.Size, Resumed: d.Size, Finished: true})
		return nil
	}

	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reading %s: %w", part, err)
	}
	have := fi.Size()
	ps := loadParts(state, d.Size)
	if (ps != nil && have != d.Size) || (d.Size >= 0 && have > d.Size) {
		// Leftovers that do not fit this file: start over.
		ps = nil
		os.Remove(state)
		if err := f.Truncate(0); err != nil {
			return fmt.Errorf("resetting %s: %w", part, err)
		}
		have = 0
	}
	done := have
	if ps != nil {
		done = ps.done()
	}
	if d.Size >= 0 {
		if free := freeSpace(dir); free >= 0 && free < d.Size-done {
			return fmt.Errorf("not enough disk space for %s: %s more needed, %s free in %s; free space and run the same command again",
				d.Label, humanBytes(d.Size-done), humanBytes(free), dir)
		}
	}

	var sum hash.Hash
	var written int64
	if ps != nil || (d.Size >= c.threshold() && c.parts() > 1 && have == 0) {
		written, err = c.fetchParts(ctx, d, f, state, ps)
		if errors.Is(err, errRangeUnsupported) {
			os.Remove(state)
			if err = f.Truncate(0); err == nil {
				written, sum, err = c.fetchSequential(ctx, d, f)
			}
		}
	} else {
		written, sum, err = c.fetchSequential(ctx, d, f)
	}
	if err != nil {
		return c.explain(ctx, d, written, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("saving %s: %w", part, err)
	}
	if err := verify(d, f, sum); err != nil {
		closeFile()
		os.Remove(part)
		os.Remove(state)
		return err
	}
	os.Remove(state)
	// The file stays open, and locked, until it has its final name (on
	// Windows too: openPartial shares it for renaming).
	if err := rename(part, d.Dest); err != nil {
		return fmt.Errorf("moving %s into place: %w", d.Label, err)
	}
	syncDir(dir)
	c.emit(Progress{Name: d.Label, Done: written, Total: d.Size, Finished: true})
	return nil
}

// explain turns a download failure into a message that says what happened
// and how to go on.
func (c *Client) explain(ctx context.Context, d download, written int64, err error) error {
	total := "?"
	if d.Size >= 0 {
		total = strconv.FormatInt(d.Size, 10)
	}
	switch {
	case diskFull(err):
		return fmt.Errorf("disk full while downloading %s: %d of %s bytes written; free space and run the same command to resume: %w",
			d.Label, written, total, err)
	case ctx.Err() != nil:
		return fmt.Errorf("download of %s stopped at %d of %s bytes; run the same command to resume: %w", d.Label, written, total, ctx.Err())
	case isPermanent(err):
		return fmt.Errorf("downloading %s: %w", d.Label, err)
	}
	return fmt.Errorf("downloading %s failed after %d of %s bytes (run the same command to resume): %w", d.Label, written, total, err)
}

// newHash returns the hash that d's checksum uses, or nil when d has none.
func newHash(d download) hash.Hash {
	switch {
	case d.SHA256 != "":
		return sha256.New()
	case d.GitSHA1 != "" && d.Size >= 0:
		h := sha1.New()
		fmt.Fprintf(h, "blob %d\x00", d.Size)
		return h
	}
	return nil
}

// verify checks the finished partial file f against d. h, when not nil,
// already holds the file's content.
func verify(d download, f *os.File, h hash.Hash) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("checking %s: %w", d.Label, err)
	}
	if d.Size >= 0 && fi.Size() != d.Size {
		return fmt.Errorf("%s has %d bytes instead of %d; the download was discarded, run the same command to fetch it again: %w",
			d.Label, fi.Size(), d.Size, ErrChecksum)
	}
	want, algo := d.SHA256, "sha256"
	if want == "" {
		want, algo = d.GitSHA1, "git-sha1"
	}
	if want == "" {
		return nil
	}
	if h == nil {
		h = newHash(d)
		if h == nil {
			return nil
		}
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, fi.Size())); err != nil {
			return fmt.Errorf("checking %s: %w", d.Label, err)
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%s: expected %s %s, got %s; the download was discarded, run the same command to fetch it again: %w",
			d.Label, algo, want, got, ErrChecksum)
	}
	return nil
}

// fetchSequential appends to f from its current end until the file is
// complete. It returns the bytes in f and a hash of them (nil when d has no
// checksum).
func (c *Client) fetchSequential(ctx context.Context, d download, f *os.File) (int64, hash.Hash, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, nil, permanent(fmt.Errorf("reading %s: %w", f.Name(), err))
	}
	off := fi.Size()
	h := newHash(d)
	if off > 0 && h != nil {
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, off)); err != nil {
			return off, nil, permanent(fmt.Errorf("reading %s: %w", f.Name(), err))
		}
	}
	rep := c.newReporter(d, off)
	restart := func() error {
		if err := f.Truncate(0); err != nil {
			return permanent(fmt.Errorf("resetting %s: %w", f.Name(), err))
		}
		off, h = 0, newHash(d)
		rep.set(0)
		return nil
	}
	failures := 0
	for {
		if d.Size >= 0 && off == d.Size {
			rep.flush()
			return off, h, nil
		}
		var n int64
		cn, err := c.open(ctx, d, off, -1)
		if err == nil {
			switch cn.resp.StatusCode {
			case http.StatusRequestedRangeNotSatisfiable:
				// Our partial file does not fit the file on the server.
				cn.close()
				if err := restart(); err != nil {
					return 0, nil, err
				}
				continue
			case http.StatusOK:
				if off > 0 {
					// The server ignored the range and sends everything.
					if err = restart(); err != nil {
						cn.close()
						return 0, nil, err
					}
				}
				if cl := cn.resp.ContentLength; cl >= 0 && d.Size >= 0 && cl != d.Size {
					err = permanent(fmt.Errorf("server sends %d bytes, expected %d", cl, d.Size))
				}
			case http.StatusPartialContent:
				start, _, total, perr := parseContentRange(cn.resp.Header.Get("Content-Range"))
				switch {
				case perr != nil:
					err = permanent(perr)
				case start != off:
					err = permanent(fmt.Errorf("asked for bytes from %d, server sent bytes from %d", off, start))
				case total >= 0 && d.Size >= 0 && total != d.Size:
					err = permanent(fmt.Errorf("server file has %d bytes, expected %d (it changed?)", total, d.Size))
				}
			}
			if err == nil {
				limit := int64(-1)
				if d.Size >= 0 {
					limit = d.Size - off
				}
				hh := h
				n, err = c.copyBody(ctx, cn, f, off, limit, func(p []byte) {
					if hh != nil {
						hh.Write(p)
					}
					rep.add(len(p))
				})
				off += n
				if err == nil {
					if d.Size < 0 {
						rep.flush()
						return off, h, nil
					}
					if off < d.Size {
						err = fmt.Errorf("connection closed after %d of %d bytes", off, d.Size)
					}
				}
			}
			cn.close()
		}
		if err != nil {
			if ctx.Err() != nil || isPermanent(err) {
				return off, nil, err
			}
			if n > 0 {
				failures = 0
			}
			failures++
			if failures > c.Retries {
				return off, nil, err
			}
			if err := sleepCtx(ctx, c.retryDelay()); err != nil {
				return off, nil, err
			}
		}
	}
}

// partRange is one part of a parallel download: bytes [Start, End) of which
// the first done are in the file.
type partRange struct {
	Start, End int64
	done       atomic.Int64
}

// partState is the progress of a parallel download.
type partState struct {
	Size  int64
	Parts []*partRange
	mu    sync.Mutex // serializes save
}

// partFile is the on-disk form of partState.
type partFile struct {
	Size  int64      `json:"size"`
	Parts [][3]int64 `json:"parts"` // start, end, done
}

func newPartState(size int64, n int) *partState {
	if int64(n) > size {
		n = int(max(size, 1))
	}
	ps := &partState{Size: size}
	chunk := size / int64(n)
	for i := 0; i < n; i++ {
		p := &partRange{Start: int64(i) * chunk, End: int64(i+1) * chunk}
		if i == n-1 {
			p.End = size
		}
		ps.Parts = append(ps.Parts, p)
	}
	return ps
}

func (ps *partState) done() int64 {
	var n int64
	for _, p := range ps.Parts {
		n += p.done.Load()
	}
	return n
}

// save writes the state next to the partial file. The recorded progress
// never runs ahead of the bytes written, so a crash only costs refetching.
func (ps *partState) save(path string) error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	pf := partFile{Size: ps.Size}
	for _, p := range ps.Parts {
		pf.Parts = append(pf.Parts, [3]int64{p.Start, p.End, p.done.Load()})
	}
	b, err := json.Marshal(pf)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

// loadParts reads a saved parallel state for a file of size bytes; it
// returns nil (and removes the file) when there is none or it does not fit.
func loadParts(path string, size int64) *partState {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var pf partFile
	if json.Unmarshal(b, &pf) != nil || pf.Size != size || size < 0 || len(pf.Parts) == 0 {
		os.Remove(path)
		return nil
	}
	ps := &partState{Size: size}
	var next int64
	for _, r := range pf.Parts {
		start, end, done := r[0], r[1], r[2]
		if start != next || end < start || done < 0 || done > end-start {
			os.Remove(path)
			return nil
		}
		p := &partRange{Start: start, End: end}
		p.done.Store(done)
		ps.Parts = append(ps.Parts, p)
		next = end
	}
	if next != size {
		os.Remove(path)
		return nil
	}
	return ps
}

// fetchParts downloads the missing bytes of every part at once. ps is the
// resumed state, or nil to start fresh. It returns the bytes done.
func (c *Client) fetchParts(ctx context.Context, d download, f *os.File, statePath string, ps *partState) (int64, error) {
	if ps == nil {
		ps = newPartState(d.Size, c.parts())
		// State first: a preallocated file without it would look complete.
		if err := ps.save(statePath); err != nil {
			return 0, permanent(fmt.Errorf("saving download state for %s: %w", d.Label, err))
		}
		if err := f.Truncate(d.Size); err != nil {
			return 0, permanent(fmt.Errorf("allocating %s: %w", f.Name(), err))
		}
	}
	rep := c.newReporter(d, ps.done())
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()

	errs := make([]error, len(ps.Parts))
	var wg sync.WaitGroup
	for i := range ps.Parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = c.fetchPart(pctx, d, f, ps.Parts[i], rep); errs[i] != nil {
				cancel()
			}
		}()
	}
	stop, saverDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(saverDone)
		t := time.NewTicker(stateEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ps.save(statePath)
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-saverDone
	saveErr := ps.save(statePath)
	written := ps.done()
	rep.flush()

	var first error
	for _, e := range errs {
		if e != nil && !errors.Is(e, context.Canceled) {
			first = e
			break
		}
	}
	if first == nil && ctx.Err() != nil {
		return written, ctx.Err()
	}
	if first == nil {
		for _, e := range errs {
			if e != nil {
				first = e
				break
			}
		}
	}
	if first != nil {
		return written, first
	}
	if saveErr != nil {
		return written, permanent(fmt.Errorf("saving download state for %s: %w", d.Label, saveErr))
	}
	return written, nil
}

// fetchPart fills one part, retrying after network errors.
func (c *Client) fetchPart(ctx context.Context, d download, f *os.File, p *partRange, rep *reporter) error {
	failures := 0
	for {
		off := p.Start + p.done.Load()
		if off >= p.End {
			return nil
		}
		var n int64
		cn, err := c.open(ctx, d, off, p.End-1)
		if err == nil {
			if cn.resp.StatusCode != http.StatusPartialContent {
				cn.close()
				return errRangeUnsupported
			}
			start, _, total, perr := parseContentRange(cn.resp.Header.Get("Content-Range"))
			if perr != nil || start != off {
				cn.close()
				return errRangeUnsupported
			}
			if total >= 0 && total != d.Size {
				cn.close()
				return permanent(fmt.Errorf("server file has %d bytes, expected %d (it changed?)", total, d.Size))
			}
			n, err = c.copyBody(ctx, cn, f, off, p.End-off, func(b []byte) {
				p.done.Add(int64(len(b)))
				rep.add(len(b))
			})
			cn.close()
			if err == nil && off+n < p.End && n == 0 {
				err = fmt.Errorf("server sent no data for bytes %d-%d", off, p.End-1)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if isPermanent(err) {
				return err
			}
			if n > 0 {
				failures = 0
			}
			failures++
			if failures > c.Retries {
				return err
			}
			if err := sleepCtx(ctx, c.retryDelay()); err != nil {
				return err
			}
		}
	}
}

// conn is one HTTP response being read, with a watchdog that aborts it when
// no data arrives for StallTimeout.
type conn struct {
	resp    *http.Response
	cancel  context.CancelFunc
	timer   *time.Timer
	stall   time.Duration
	stalled atomic.Bool
	host    string
}

func (cn *conn) close() {
	cn.timer.Stop()
	if cn.resp != nil {
		cn.resp.Body.Close()
	}
	cn.cancel()
}

// wrap describes a transport error: the caller's cancellation, a stall, or
// the network error itself.
func (cn *conn) wrap(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if cn.stalled.Load() {
		return fmt.Errorf("no data from %s for %s", cn.host, cn.stall)
	}
	return fmt.Errorf("connection to %s: %w", cn.host, err)
}

// open sends a GET for d.URL, asking for bytes [start, end] (end < 0: to the
// end of the file; start 0 and end < 0: no range). Responses other than
// 200, 206 and 416 become errors.
func (c *Client) open(ctx context.Context, d download, start, end int64) (*conn, error) {
	rctx, cancel := context.WithCancel(ctx)
	cn := &conn{cancel: cancel, stall: c.stallTimeout()}
	cn.timer = time.AfterFunc(cn.stall, func() {
		cn.stalled.Store(true)
		cancel()
	})
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, d.URL, nil)
	if err != nil {
		cn.close()
		return nil, permanent(fmt.Errorf("bad download address %q: %w", d.URL, err))
	}
	cn.host = req.URL.Host
	switch {
	case end >= 0:
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", start, end))
	case start > 0:
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", start))
	}
	req.Header.Set("Accept-Encoding", "identity")
	c.setHeaders(req, d.Auth)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		err = cn.wrap(ctx, err)
		cn.close()
		return nil, err
	}
	cn.resp = resp
	switch resp.StatusCode {
	case http.StatusOK, http.StatusPartialContent, http.StatusRequestedRangeNotSatisfiable:
		return cn, nil
	}
	defer cn.close()
	return nil, statusError(resp, d.Label, d.Auth)
}

func (c *Client) setHeaders(req *http.Request, auth bool) {
	ua := c.UserAgent
	if ua == "" {
		ua = "nuri"
	}
	req.Header.Set("User-Agent", ua)
	if auth && c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
}

// statusError describes an unexpected HTTP status; client errors are
// permanent, server errors and rate limits are worth a retry.
func statusError(resp *http.Response, what string, auth bool) error {
	msg := resp.Header.Get("X-Error-Message")
	if msg == "" {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		msg = strings.TrimSpace(string(b))
		if !isPrintable(msg) {
			msg = ""
		}
	}
	detail := ""
	if msg != "" {
		detail = ": " + msg
	}
	code := resp.StatusCode
	err := fmt.Errorf("%s: HTTP %d from %s%s", what, code, resp.Request.URL.Host, detail)
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		hint := ""
		if auth {
			hint = " (the repository may be gated or private: accept its terms on the model page and set HF_TOKEN to a token that can read it)"
		}
		return permanent(fmt.Errorf("access denied%s: %w", hint, err))
	case code == http.StatusNotFound || code == http.StatusGone:
		return permanent(fmt.Errorf("not found: %w", err))
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		return err
	}
	return permanent(err)
}

func isPrintable(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' {
			return false
		}
	}
	return true
}

// copyBody copies the response body into f at off, at most limit bytes
// (limit < 0: no limit), calling onWrite after each write. It returns the
// bytes written.
func (c *Client) copyBody(ctx context.Context, cn *conn, f *os.File, off, limit int64, onWrite func([]byte)) (int64, error) {
	buf := make([]byte, copyBufSize)
	var n int64
	for {
		nr, rerr := cn.resp.Body.Read(buf)
		if nr > 0 {
			cn.timer.Reset(cn.stall)
			p := buf[:nr]
			over := limit >= 0 && n+int64(nr) > limit
			if over {
				p = p[:limit-n]
			}
			if len(p) > 0 {
				if err := c.writeAt(f, p, off+n); err != nil {
					return n, err
				}
				n += int64(len(p))
				onWrite(p)
			}
			if over {
				return n, permanent(fmt.Errorf("server sent more bytes than expected"))
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, cn.wrap(ctx, rerr)
		}
	}
}

func (c *Client) writeAt(f *os.File, p []byte, off int64) error {
	if c.writeHook != nil {
		if err := c.writeHook(len(p), off); err != nil {
			return permanent(&os.PathError{Op: "write", Path: f.Name(), Err: err})
		}
	}
	if _, err := f.WriteAt(p, off); err != nil {
		return permanent(err)
	}
	return nil
}

// parseContentRange parses "bytes START-END/TOTAL"; total is -1 for "*".
func parseContentRange(s string) (start, end, total int64, err error) {
	bad := fmt.Errorf("malformed Content-Range %q", s)
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, 0, bad
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, 0, bad
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, 0, bad
	}
	if start, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, 0, 0, bad
	}
	if end, err = strconv.ParseInt(b, 10, 64); err != nil || end < start {
		return 0, 0, 0, bad
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil {
			return 0, 0, 0, bad
		}
	}
	return start, end, total, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// writeFileAtomic writes b to path through a temporary file and a rename.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return rename(tmp.Name(), path)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// reporter throttles progress callbacks for one file.
type reporter struct {
	c       *Client
	d       download
	mu      sync.Mutex
	done    int64
	resumed int64
	last    time.Time
}

func (c *Client) newReporter(d download, start int64) *reporter {
	r := &reporter{c: c, d: d, done: start, resumed: start, last: time.Now()}
	c.emit(Progress{Name: d.Label, Done: start, Total: d.Size, Resumed: start})
	return r
}

func (r *reporter) add(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done += int64(n)
	if now := time.Now(); now.Sub(r.last) >= progressEvery {
		r.last = now
		r.c.emit(Progress{Name: r.d.Label, Done: r.done, Total: r.d.Size, Resumed: r.resumed})
	}
}

func (r *reporter) set(v int64) {
	r.mu.Lock()
	r.done, r.resumed = v, v
	r.mu.Unlock()
}

func (r *reporter) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = time.Now()
	r.c.emit(Progress{Name: r.d.Label, Done: r.done, Total: r.d.Size, Resumed: r.resumed})
}

func (c *Client) emit(p Progress) {
	if c.Progress != nil {
		c.Progress(p)
	}
}
