package hub

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func testData(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// testClient returns a client with small limits suited to tests.
func testClient(t *testing.T) *Client {
	t.Helper()
	dir := t.TempDir()
	return &Client{
		HFCache:           filepath.Join(dir, "hf"),
		OllamaModels:      filepath.Join(dir, "ollama"),
		ParallelThreshold: 1 << 20,
		Parts:             4,
		Retries:           0,
		RetryDelay:        time.Millisecond,
		StallTimeout:      5 * time.Second,
	}
}

// assertNoPartial checks that no partial or state files are left in dir.
func assertNoPartial(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && (strings.HasSuffix(p, incompleteSuffix) || strings.HasSuffix(p, partsSuffix) || strings.Contains(p, ".tmp-")) {
			t.Errorf("leftover file %s", p)
		}
		return nil
	})
}

func countRanged(reqs []string) int {
	n := 0
	for _, r := range reqs {
		if strings.Contains(r, "bytes=") {
			n++
		}
	}
	return n
}

func TestDownloadFile(t *testing.T) {
	small := testData(300<<10, 1) // below the parallel threshold
	big := testData(3<<20, 2)     // above it: four parts
	cases := []struct {
		name       string
		data       []byte
		faults     faults
		retries    int
		firstFails bool   // the first call fails, a second completes
		wantErr    string // in the first call's error
		wantRanged bool   // some request used a Range header
	}{
		{name: "small", data: small},
		{name: "parallel", data: big, wantRanged: true},
		{name: "cut, no retries", data: small, faults: faults{cuts: 1, cutAfter: 100 << 10}, firstFails: true, wantErr: "run the same command to resume", wantRanged: true},
		{name: "cut, retried", data: small, faults: faults{cuts: 2, cutAfter: 100 << 10}, retries: 2, wantRanged: true},
		{name: "parallel cut, no retries", data: big, faults: faults{cuts: 1, cutAfter: 200 << 10}, firstFails: true, wantErr: "resume", wantRanged: true},
		{name: "parallel cut, retried", data: big, faults: faults{cuts: 3, cutAfter: 200 << 10}, retries: 1, wantRanged: true},
		{name: "parallel, server ignores ranges", data: big, faults: faults{ignoreRange: true}, wantRanged: true},
		{name: "slow server", data: small, faults: faults{stall: 2 * time.Second, stalls: 1}, retries: 1, wantRanged: true},
		{name: "slow server, no retries", data: small, faults: faults{stall: 2 * time.Second, stalls: 1}, firstFails: true, wantErr: "no data from", wantRanged: true},
		{name: "corrupt", data: small, faults: faults{corrupt: true}, firstFails: true, wantErr: "checksum mismatch"},
		{name: "parallel corrupt", data: big, faults: faults{corrupt: true}, firstFails: true, wantErr: "checksum mismatch", wantRanged: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cdn := newFakeCDN(t)
			h := cdn.add(tc.data)
			c := testClient(t)
			c.Retries = tc.retries
			if tc.faults.stalls > 0 {
				c.StallTimeout = 500 * time.Millisecond
			}
			cdn.setFaults(tc.faults)
			dir := t.TempDir()
			d := download{URL: cdn.url(h), Dest: filepath.Join(dir, "blob"), SHA256: h, Size: int64(len(tc.data)), Label: "blob"}
			err := c.downloadFile(context.Background(), d)
			if tc.firstFails {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("first download: got error %v, want one containing %q", err, tc.wantErr)
				}
				if _, serr := os.Stat(d.Dest); serr == nil {
					t.Fatalf("failed download left a visible file")
				}
				if strings.Contains(tc.wantErr, "checksum") {
					if !errors.Is(err, ErrChecksum) {
						t.Errorf("error %v does not wrap ErrChecksum", err)
					}
					assertNoPartial(t, dir)
				}
				cdn.setFaults(faults{})
				err = c.downloadFile(context.Background(), d)
			}
			if err != nil {
				t.Fatalf("download: %v", err)
			}
			got, err := os.ReadFile(d.Dest)
			if err != nil || !bytes.Equal(got, tc.data) {
				t.Fatalf("downloaded content differs (err %v)", err)
			}
			assertNoPartial(t, dir)
			if ranged := countRanged(cdn.requests()) > 0; ranged != tc.wantRanged {
				t.Errorf("ranged requests: %v, want %v; requests %q", ranged, tc.wantRanged, cdn.requests())
			}
		})
	}
}

func TestDownloadResumeFromPartial(t *testing.T) {
	data := testData(200<<10, 3)
	cases := []struct {
		name    string
		partial []byte
		faults  faults
	}{
		{name: "range honoured", partial: data[:50<<10]},
		{name: "server sends 200 to a range", partial: data[:50<<10], faults: faults{ignoreRange: true}},
		{name: "server sends 416", partial: data[:50<<10], faults: faults{force416: true}},
		{name: "stale partial longer than the file", partial: append(append([]byte(nil), data...), 1, 2, 3)},
		{name: "partial already complete", partial: data},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cdn := newFakeCDN(t)
			h := cdn.add(data)
			cdn.setFaults(tc.faults)
			c := testClient(t)
			c.Retries = 1
			dir := t.TempDir()
			d := download{URL: cdn.url(h), Dest: filepath.Join(dir, "blob"), SHA256: h, Size: int64(len(data))}
			if err := os.WriteFile(d.Dest+incompleteSuffix, tc.partial, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := c.downloadFile(context.Background(), d); err != nil {
				t.Fatalf("download: %v", err)
			}
			got, _ := os.ReadFile(d.Dest)
			if !bytes.Equal(got, data) {
				t.Fatal("content differs")
			}
			assertNoPartial(t, dir)
		})
	}
}

func TestDownloadInterruptLeavesResumablePartial(t *testing.T) {
	for _, size := range []int{400 << 10, 3 << 20} {
		data := testData(size, 4)
		cdn := newFakeCDN(t)
		h := cdn.add(data)
		cdn.setFaults(faults{stall: 10 * time.Second, stalls: 100})
		c := testClient(t)
		dir := t.TempDir()
		d := download{URL: cdn.url(h), Dest: filepath.Join(dir, "blob"), SHA256: h, Size: int64(len(data))}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(300*time.Millisecond, cancel) // like Ctrl-C while bytes flow
		err := c.downloadFile(ctx, d)
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "resume") {
			t.Fatalf("size %d: got %v, want a cancellation that tells how to resume", size, err)
		}
		if _, serr := os.Stat(d.Dest + incompleteSuffix); serr != nil {
			t.Fatalf("size %d: partial file missing: %v", size, serr)
		}
		cdn.setFaults(faults{})
		if err := c.downloadFile(context.Background(), d); err != nil {
			t.Fatalf("size %d: resume: %v", size, err)
		}
		got, _ := os.ReadFile(d.Dest)
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: content differs", size)
		}
		if countRanged(cdn.requests()) == 0 {
			t.Errorf("size %d: the second run did not resume with a range", size)
		}
		assertNoPartial(t, dir)
	}
}

func TestDownloadDiskFull(t *testing.T) {
	for _, size := range []int{600 << 10, 2 << 20} {
		data := testData(size, 5)
		cdn := newFakeCDN(t)
		h := cdn.add(data)
		c := testClient(t)
		var mu sync.Mutex
		written := int64(0)
		c.writeHook = func(n int, off int64) error {
			mu.Lock()
			defer mu.Unlock()
			if written+int64(n) > 256<<10 {
				return syscall.ENOSPC
			}
			written += int64(n)
			return nil
		}
		dir := t.TempDir()
		d := download{URL: cdn.url(h), Dest: filepath.Join(dir, "blob"), SHA256: h, Size: int64(len(data)), Label: "model.gguf"}
		err := c.downloadFile(context.Background(), d)
		if err == nil || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "disk full while downloading model.gguf") ||
			!strings.Contains(err.Error(), "free space and run the same command to resume") {
			t.Fatalf("size %d: got %v", size, err)
		}
		if _, err := os.Stat(d.Dest); err == nil {
			t.Fatal("a visible file after disk full")
		}
		c.writeHook = nil
		if err := c.downloadFile(context.Background(), d); err != nil {
			t.Fatalf("size %d: after freeing space: %v", size, err)
		}
		got, _ := os.ReadFile(d.Dest)
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: content differs", size)
		}
		assertNoPartial(t, dir)
	}
}

func TestDownloadErrors(t *testing.T) {
	cdn := newFakeCDN(t)
	c := testClient(t)
	c.Retries = 3
	dir := t.TempDir()
	missing := strings.Repeat("ab", 32)
	err := c.downloadFile(context.Background(), download{URL: cdn.url(missing), Dest: filepath.Join(dir, "x"), Size: 10, Label: "x"})
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("got %v, want not found", err)
	}
	if n := len(cdn.requests()); n != 1 {
		t.Errorf("a 404 was retried: %d requests", n)
	}
	// Connection refused: retried, then reported.
	err = c.downloadFile(context.Background(), download{URL: "http://127.0.0.1:1/x", Dest: filepath.Join(dir, "y"), Size: 10, Label: "y"})
	if err == nil || !strings.Contains(err.Error(), "connection to 127.0.0.1:1") {
		t.Fatalf("got %v, want a connection error", err)
	}
}

func TestDownloadGitSHA1AndProgress(t *testing.T) {
	data := []byte(`{"architectures":["LlamaForCausalLM"]}`)
	cdn := newFakeCDN(t)
	h := cdn.add(data)
	c := testClient(t)
	var events []Progress
	c.Progress = func(p Progress) { events = append(events, p) }
	dir := t.TempDir()
	d := download{URL: cdn.url(h), Dest: filepath.Join(dir, "config.json"), GitSHA1: gitSHA1(data), Size: int64(len(data))}
	if err := c.downloadFile(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if len(events) < 2 || !events[len(events)-1].Finished || events[len(events)-1].Done != int64(len(data)) {
		t.Fatalf("progress events %+v", events)
	}
	bad := d
	bad.Dest = filepath.Join(dir, "other.json")
	bad.GitSHA1 = gitSHA1([]byte("something else"))
	if err := c.downloadFile(context.Background(), bad); !errors.Is(err, ErrChecksum) {
		t.Fatalf("got %v, want checksum error", err)
	}
	assertNoPartial(t, dir)
}

func TestParseContentRange(t *testing.T) {
	cases := []struct {
		in                string
		start, end, total int64
		ok                bool
	}{
		{"bytes 0-9/10", 0, 9, 10, true},
		{"bytes 5-9/*", 5, 9, -1, true},
		{"bytes */10", 0, 0, 0, false},
		{"bytes 9-5/10", 0, 0, 0, false},
		{"items 0-1/2", 0, 0, 0, false},
		{"", 0, 0, 0, false},
	}
	for _, tc := range cases {
		s, e, tot, err := parseContentRange(tc.in)
		if (err == nil) != tc.ok || (tc.ok && (s != tc.start || e != tc.end || tot != tc.total)) {
			t.Errorf("%q: got %d %d %d %v", tc.in, s, e, tot, err)
		}
	}
}

func TestLoadPartsRejectsBadState(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.parts")
	cases := []string{
		`{"size":100,"parts":[[0,50,10],[50,100,60]]}`, // done past the end
		`{"size":100,"parts":[[0,40,0],[50,100,0]]}`,   // gap
		`{"size":99,"parts":[[0,99,0]]}`,               // other size
		`not json`,
	}
	for _, s := range cases {
		os.WriteFile(p, []byte(s), 0o644)
		if ps := loadParts(p, 100); ps != nil {
			t.Errorf("%s: accepted", s)
		}
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s: bad state file kept", s)
		}
	}
	os.WriteFile(p, []byte(`{"size":100,"parts":[[0,50,10],[50,100,50]]}`), 0o644)
	if ps := loadParts(p, 100); ps == nil || ps.done() != 60 {
		t.Errorf("good state rejected")
	}
}

func TestConcurrentDownloadsOfOneFile(t *testing.T) {
	data := testData(2<<20, 6)
	cdn := newFakeCDN(t)
	h := cdn.add(data)
	c := testClient(t)
	dir := t.TempDir()
	d := download{URL: cdn.url(h), Dest: filepath.Join(dir, "blob"), SHA256: h, Size: int64(len(data))}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.downloadFile(context.Background(), d)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("download %d: %v", i, err)
		}
	}
	got, _ := os.ReadFile(d.Dest)
	if !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
	assertNoPartial(t, dir)
}
