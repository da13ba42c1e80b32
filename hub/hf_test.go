package hub

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ggufRepo is a typical GGUF repository: several quants, one split, a
// projector and a README.
func ggufRepo() map[string][]byte {
	return map[string][]byte{
		"README.md":                          []byte("# Tiny\n"),
		"tiny-Q4_K_M.gguf":                   testData(200<<10, 10),
		"tiny-Q4_K_S.gguf":                   testData(1000, 11),
		"tiny-IQ4_XS.gguf":                   testData(1000, 12),
		"mmproj-tiny-f16.gguf":               testData(1000, 13),
		"Q8_0/tiny-Q8_0-00001-of-00003.gguf": testData(3000, 14),
		"Q8_0/tiny-Q8_0-00002-of-00003.gguf": testData(3000, 15),
		"Q8_0/tiny-Q8_0-00003-of-00003.gguf": testData(3000, 16),
	}
}

func folderRepo() map[string][]byte {
	return map[string][]byte{
		"config.json":               []byte(`{"model_type":"llama"}`),
		"generation_config.json":    []byte(`{}`),
		"tokenizer.json":            []byte(`{"model":{}}`),
		"tokenizer_config.json":     []byte(`{}`),
		"model.safetensors":         testData(150<<10, 20),
		"pytorch_model.bin":         testData(1000, 21),
		"original/consolidated.pth": testData(1000, 22),
		".gitattributes":            []byte("*.safetensors filter=lfs\n"),
	}
}

func hfClient(t *testing.T, hub *fakeHub) *Client {
	c := testClient(t)
	c.HFEndpoint = hub.srv.URL
	return c
}

// linkModes are the ways a snapshot entry can be made: where symbolic links
// are refused (Windows without Developer Mode), a hard link to the blob, and
// where that fails too, a copy.
var linkModes = []struct {
	name          string
	symlink, hard bool
}{
	{"symlink", true, true},
	{"hard link", false, true},
	{"copy", false, false},
}

// useLinkMode makes placeBlob fail the ways mode says, until the test ends.
func useLinkMode(t *testing.T, name string, canSymlink, canHardLink bool) {
	t.Helper()
	if canSymlink {
		dir := t.TempDir()
		p := filepath.Join(dir, "link")
		if err := os.Symlink("target", p); err != nil {
			t.Skipf("symbolic links cannot be made here: %v", err)
		}
		if _, err := os.Lstat(p); err != nil {
			t.Skip("symbolic links cannot be made here: creating one reports success and makes nothing")
		}
	}
	oldSym, oldHard := symlink, hardLink
	t.Cleanup(func() { symlink, hardLink = oldSym, oldHard })
	if !canSymlink {
		symlink = func(o, n string) error {
			return &os.LinkError{Op: "symlink", Old: o, New: n, Err: errors.New("privilege not held (test)")}
		}
	}
	if !canHardLink {
		hardLink = func(o, n string) error {
			return &os.LinkError{Op: "link", Old: o, New: n, Err: errors.New("not supported (test)")}
		}
	}
}

// checkEntry checks that the snapshot entry p stands for the blob with the
// way of linkModes[mode]: target is the expected symbolic link.
func checkEntry(t *testing.T, mode int, p, blob, target string) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	bfi, err := os.Stat(blob)
	if err != nil {
		t.Fatalf("blob: %v", err)
	}
	switch linkModes[mode].name {
	case "symlink":
		if got, err := os.Readlink(p); err != nil || got != filepath.FromSlash(target) {
			t.Errorf("link %s -> %q (%v), want %q", p, got, err, target)
		}
	case "hard link":
		if !fi.Mode().IsRegular() || !os.SameFile(fi, bfi) {
			t.Errorf("%s (%v) is not a hard link to %s", p, fi.Mode(), blob)
		}
	case "copy":
		if !fi.Mode().IsRegular() || os.SameFile(fi, bfi) || !sameBlob(fi, bfi) {
			t.Errorf("%s (%v) is not a copy of %s", p, fi.Mode(), blob)
		}
	}
}

func TestPullHFGGUF(t *testing.T) {
	for mode, lm := range linkModes {
		t.Run(lm.name, func(t *testing.T) {
			useLinkMode(t, lm.name, lm.symlink, lm.hard)
			testPullHFGGUF(t, mode)
		})
	}
}

func testPullHFGGUF(t *testing.T, mode int) {
	hub := newFakeHub(t)
	files := ggufRepo()
	repo := hub.addRepo("acme/Tiny-GGUF", files)
	cases := []struct {
		name      string
		wantFiles []string
		wantName  string
	}{
		{"acme/Tiny-GGUF", []string{"tiny-Q4_K_M.gguf"}, "hf.co/acme/Tiny-GGUF:Q4_K_M"},
		{"hf.co/acme/Tiny-GGUF:iq4_xs", []string{"tiny-IQ4_XS.gguf"}, "hf.co/acme/Tiny-GGUF:iq4_xs"},
		{"hf.co/acme/Tiny-GGUF:Q8_0", []string{"Q8_0/tiny-Q8_0-00001-of-00003.gguf", "Q8_0/tiny-Q8_0-00002-of-00003.gguf", "Q8_0/tiny-Q8_0-00003-of-00003.gguf"}, "hf.co/acme/Tiny-GGUF:Q8_0"},
	}
	c := hfClient(t, hub)
	for _, tc := range cases {
		ref, err := ParseRef(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := c.Pull(context.Background(), ref)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if m.Name != tc.wantName || m.Format != FormatGGUF || m.Revision != repo.commit {
			t.Errorf("%s: got %+v", tc.name, m)
		}
		snap := filepath.Join(c.HFCache, "models--acme--Tiny-GGUF", "snapshots", repo.commit)
		if len(m.Files) != len(tc.wantFiles) || m.Path != m.Files[0] {
			t.Fatalf("%s: files %v", tc.name, m.Files)
		}
		for i, f := range tc.wantFiles {
			want := filepath.Join(snap, filepath.FromSlash(f))
			if m.Files[i] != want {
				t.Errorf("%s: file %d is %s, want %s", tc.name, i, m.Files[i], want)
			}
			got, err := os.ReadFile(want)
			if err != nil || !bytes.Equal(got, files[f]) {
				t.Errorf("%s: content of %s differs (%v)", tc.name, f, err)
			}
			// Standard layout: relative link to blobs/<sha256>.
			wantTarget := strings.Repeat("../", strings.Count(f, "/")+2) + "blobs/" + sha256Hex(files[f])
			checkEntry(t, mode, want, filepath.Join(c.HFCache, "models--acme--Tiny-GGUF", "blobs", sha256Hex(files[f])), wantTarget)
		}
		if m.Digest != "sha256:"+sha256Hex(files[tc.wantFiles[0]]) {
			t.Errorf("%s: digest %s", tc.name, m.Digest)
		}
	}
	ref, _ := os.ReadFile(filepath.Join(c.HFCache, "models--acme--Tiny-GGUF", "refs", "main"))
	if string(ref) != repo.commit {
		t.Errorf("refs/main = %q", ref)
	}
	assertNoPartial(t, c.HFCache)
	for _, r := range hub.cdn.requests() {
		if strings.Contains(r, "Bearer") {
			t.Errorf("CDN got credentials: %s", r)
		}
	}

	// A whole file in the snapshot needs no blob: other tools move the blob
	// there when they cannot link.
	if linkModes[mode].name != "symlink" {
		blob := filepath.Join(c.HFCache, "models--acme--Tiny-GGUF", "blobs", sha256Hex(files["tiny-Q4_K_M.gguf"]))
		if err := os.Remove(blob); err != nil {
			t.Fatal(err)
		}
		before := len(hub.cdn.requests())
		m, err := c.Pull(context.Background(), Ref{Kind: KindHF, Repo: "acme/Tiny-GGUF"})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(hub.cdn.requests()) - before; n != 0 {
			t.Errorf("%d downloads for a file already in the snapshot", n)
		}
		if got, err := os.ReadFile(m.Path); err != nil || !bytes.Equal(got, files["tiny-Q4_K_M.gguf"]) {
			t.Errorf("content of %s differs (%v)", m.Path, err)
		}
	}

	// Errors: unknown tag, unknown repo.
	if _, err := c.Resolve(context.Background(), "acme/Tiny-GGUF:Q2_K", true); err == nil || !strings.Contains(err.Error(), "available: ") {
		t.Errorf("unknown tag: %v", err)
	}
	if _, err := c.Resolve(context.Background(), "acme/Nothing", true); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown repo: %v", err)
	}
}

func TestPullHFFolderWithToken(t *testing.T) {
	hub := newFakeHub(t)
	files := folderRepo()
	repo := hub.addRepo("acme/Tiny", files)
	hub.renamed["acme/OldTiny"] = "acme/Tiny"
	hub.token = "hf_secret"
	c := hfClient(t, hub)

	_, err := c.Resolve(context.Background(), "acme/Tiny", true)
	if err == nil || !strings.Contains(err.Error(), "HF_TOKEN") {
		t.Fatalf("without a token: %v", err)
	}
	c.Token = "hf_secret"
	m, err := c.Resolve(context.Background(), "acme/Tiny", true)
	if err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(c.HFCache, "models--acme--Tiny", "snapshots", repo.commit)
	if m.Format != FormatSafetensors || m.Path != snap || m.Name != "hf.co/acme/Tiny" {
		t.Fatalf("got %+v", m)
	}
	for _, f := range []string{"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"} {
		got, err := os.ReadFile(filepath.Join(snap, f))
		if err != nil || !bytes.Equal(got, files[f]) {
			t.Errorf("%s differs (%v)", f, err)
		}
	}
	for _, f := range []string{"pytorch_model.bin", "original", ".gitattributes"} {
		if _, err := os.Lstat(filepath.Join(snap, f)); err == nil {
			t.Errorf("%s was downloaded", f)
		}
	}
	// Small files are stored under their git blob id.
	if _, err := os.Stat(filepath.Join(c.HFCache, "models--acme--Tiny", "blobs", gitSHA1(files["config.json"]))); err != nil {
		t.Errorf("config.json blob: %v", err)
	}
	for _, r := range hub.cdn.requests() {
		if strings.Contains(r, "Bearer") {
			t.Errorf("CDN got credentials: %s", r)
		}
	}

	// A renamed repository is followed through its relative redirect.
	hub.addRepo("acme/Tiny2", folderRepo())
	hub.renamed["acme/Tiny3"] = "acme/Tiny2"
	hub.mu.Lock()
	hub.repos["acme/Tiny3"] = hub.repos["acme/Tiny2"]
	hub.mu.Unlock()
	if _, err := c.Resolve(context.Background(), "acme/Tiny3", true); err != nil {
		t.Fatalf("renamed repo: %v", err)
	}
}

// TestHFCacheUsedOffline builds a cache entry the way other Hugging Face
// tools lay it out and checks that it is used without any request.
func TestHFCacheUsedOffline(t *testing.T) {
	hub := newFakeHub(t)
	c := hfClient(t, hub)
	commit := strings.Repeat("c", 40)
	repoDir := filepath.Join(c.HFCache, "models--other--Model-GGUF")
	gg := testData(5000, 30)
	mustWrite(t, filepath.Join(repoDir, "blobs", sha256Hex(gg)), gg)
	mustWrite(t, filepath.Join(repoDir, "refs", "main"), []byte(commit))
	snap := filepath.Join(repoDir, "snapshots", commit)
	os.MkdirAll(snap, 0o755)
	if err := placeBlob(filepath.FromSlash("../../blobs/"+sha256Hex(gg)), filepath.Join(repoDir, "blobs", sha256Hex(gg)), filepath.Join(snap, "model.Q4_K_M.gguf")); err != nil {
		t.Fatal(err)
	}
	// A folder model too.
	folder := filepath.Join(c.HFCache, "models--other--Folder", "snapshots", commit)
	mustWrite(t, filepath.Join(folder, "config.json"), []byte(`{}`))
	mustWrite(t, filepath.Join(folder, "model.safetensors.index.json"), []byte(`{"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}`))
	mustWrite(t, filepath.Join(folder, "model-00001-of-00002.safetensors"), []byte("x"))

	for _, offline := range []bool{false, true} {
		t.Setenv("HF_HUB_OFFLINE", map[bool]string{false: "0", true: "1"}[offline])
		t.Setenv("HF_HUB_CACHE", c.HFCache)
		t.Setenv("HF_ENDPOINT", hub.srv.URL)
		cl := NewClientFromEnv()
		if cl.Offline != offline {
			t.Fatalf("Offline = %v", cl.Offline)
		}
		m, err := cl.Resolve(context.Background(), "other/Model-GGUF", true)
		if err != nil {
			t.Fatal(err)
		}
		if m.Path != filepath.Join(snap, "model.Q4_K_M.gguf") || m.Size != 5000 || m.Revision != commit || m.Quant != "Q4_K_M" {
			t.Errorf("got %+v", m)
		}
		// Incomplete sharded folder: not usable, and offline it is an error.
		if offline {
			if _, err := cl.Resolve(context.Background(), "other/Folder", true); !errors.Is(err, ErrNotDownloaded) {
				t.Errorf("incomplete folder offline: %v", err)
			}
			if _, err := cl.Pull(context.Background(), Ref{Kind: KindHF, Repo: "other/Absent"}); !errors.Is(err, ErrNotDownloaded) {
				t.Errorf("pull offline: %v", err)
			}
		}
	}
	if hub.hits != 0 {
		t.Errorf("%d requests to the Hub, want none: %v", hub.hits, hub.requests())
	}
	// Pulling while the Hub is unreachable falls back to the cache.
	down := *c
	down.HFEndpoint = "http://127.0.0.1:1"
	if m, err := down.Pull(context.Background(), Ref{Kind: KindHF, Repo: "other/Model-GGUF"}); err != nil || m.Size != 5000 {
		t.Errorf("pull with the Hub down: %+v %v", m, err)
	}
	// Completing the folder makes it usable.
	mustWrite(t, filepath.Join(folder, "model-00002-of-00002.safetensors"), []byte("y"))
	if m, err := c.Resolve(context.Background(), "other/Folder", false); err != nil || m.Format != FormatSafetensors {
		t.Errorf("complete folder: %+v %v", m, err)
	}
	// Not cached and pulling not allowed.
	if _, err := c.Resolve(context.Background(), "other/Absent", false); !errors.Is(err, ErrNotDownloaded) {
		t.Errorf("absent: %v", err)
	}

	// Pulling online finds the blob in place and does not download it.
	hub.addRepo("other/Model-GGUF", map[string][]byte{"model.Q4_K_M.gguf": gg})
	if _, err := c.Pull(context.Background(), Ref{Kind: KindHF, Repo: "other/Model-GGUF"}); err != nil {
		t.Fatal(err)
	}
	if n := len(hub.cdn.requests()); n != 0 {
		t.Errorf("blob already cached was downloaded again: %v", hub.cdn.requests())
	}
}

func mustWrite(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPullHFFaults(t *testing.T) {
	cases := []struct {
		name   string
		faults faults
		want   string
	}{
		{"connection cut", faults{cuts: 1, cutAfter: 50 << 10}, "resume"},
		{"wrong checksum", faults{corrupt: true}, "checksum mismatch"},
		{"416 on resume", faults{cuts: 1, cutAfter: 50 << 10}, "resume"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hub := newFakeHub(t)
			files := ggufRepo()
			hub.addRepo("acme/Tiny-GGUF", files)
			hub.cdn.setFaults(tc.faults)
			c := hfClient(t, hub)
			_, err := c.Resolve(context.Background(), "acme/Tiny-GGUF", true)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			// Consistent: nothing usable, nothing visible in the snapshot.
			if _, err := c.Resolve(context.Background(), "acme/Tiny-GGUF", false); !errors.Is(err, ErrNotDownloaded) {
				t.Fatalf("after the failure: %v", err)
			}
			if tc.name == "416 on resume" {
				hub.cdn.setFaults(faults{force416: true})
			} else {
				hub.cdn.setFaults(faults{})
			}
			m, err := c.Resolve(context.Background(), "acme/Tiny-GGUF", true)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			got, _ := os.ReadFile(m.Path)
			if !bytes.Equal(got, files["tiny-Q4_K_M.gguf"]) {
				t.Fatal("content differs")
			}
			assertNoPartial(t, c.HFCache)
		})
	}
}

func TestPullHFHostileServer(t *testing.T) {
	cases := []struct {
		name      string
		extraFile string
		badEtag   string
		wantErr   string
	}{
		{name: "file name climbing out", extraFile: "../../../escape-Q4_K_M.gguf"},
		{name: "absolute file name", extraFile: "/tmp/escape-Q4_K_M.gguf"},
		{name: "etag climbing out", badEtag: "../../../escape", wantErr: "unusable ETag"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hub := newFakeHub(t)
			hub.addRepo("acme/Tiny-GGUF", ggufRepo())
			hub.extraFile, hub.badEtag = tc.extraFile, tc.badEtag
			c := hfClient(t, hub)
			root := filepath.Dir(c.HFCache)
			_, err := c.Resolve(context.Background(), "acme/Tiny-GGUF", true)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("got %v, want %q", err, tc.wantErr)
			}
			filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
				if err == nil && strings.Contains(p, "escape") {
					t.Errorf("hostile name created %s", p)
				}
				return nil
			})
		})
	}
}

func TestListRemoveHF(t *testing.T) {
	for mode, lm := range linkModes {
		t.Run(lm.name, func(t *testing.T) {
			useLinkMode(t, lm.name, lm.symlink, lm.hard)
			testListRemoveHF(t, mode)
		})
	}
}

func testListRemoveHF(t *testing.T, mode int) {
	hub := newFakeHub(t)
	files := ggufRepo()
	hub.addRepo("acme/Tiny-GGUF", files)
	hub.addRepo("acme/Tiny", folderRepo())
	c := hfClient(t, hub)
	for _, n := range []string{"acme/Tiny-GGUF", "acme/Tiny-GGUF:Q8_0", "acme/Tiny"} {
		if _, err := c.Resolve(context.Background(), n, true); err != nil {
			t.Fatal(err)
		}
	}
	names := func() []string {
		ms, err := c.List()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	want := "hf.co/acme/Tiny hf.co/acme/Tiny-GGUF:Q4_K_M hf.co/acme/Tiny-GGUF:Q8_0"
	if got := strings.Join(names(), " "); got != want {
		t.Fatalf("List = %s, want %s", got, want)
	}
	repoDir := filepath.Join(c.HFCache, "models--acme--Tiny-GGUF")
	// An older snapshot holds the second shard under another name.
	shared := sha256Hex(files["Q8_0/tiny-Q8_0-00002-of-00003.gguf"])
	other := strings.Repeat("b", 40)
	if err := linkSnapshot(repoDir, other, "notes/shard.bin", shared); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(repoDir, "snapshots", hub.repo("acme/Tiny-GGUF").commit)
	if err := c.Remove("hf.co/acme/Tiny-GGUF:Q8_0"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		f := "Q8_0/tiny-Q8_0-0000" + string(rune('0'+i)) + "-of-00003.gguf"
		if _, err := os.Lstat(filepath.Join(snap, filepath.FromSlash(f))); err == nil {
			t.Errorf("%s left in the snapshot", f)
		}
		_, err := os.Stat(filepath.Join(repoDir, "blobs", sha256Hex(files[f])))
		if i == 2 && err != nil {
			t.Error("blob that another snapshot uses was removed")
		}
		if i != 2 && err == nil {
			t.Errorf("blob of removed shard %d kept", i)
		}
	}
	checkEntry(t, mode, filepath.Join(repoDir, "snapshots", other, "notes", "shard.bin"), filepath.Join(repoDir, "blobs", shared), "../../../blobs/"+shared)
	if err := os.RemoveAll(filepath.Join(repoDir, "snapshots", other)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(repoDir, "blobs", sha256Hex(files["tiny-Q4_K_M.gguf"]))); err != nil {
		t.Error("blob of kept model removed")
	}
	if got := strings.Join(names(), " "); got != "hf.co/acme/Tiny hf.co/acme/Tiny-GGUF:Q4_K_M" {
		t.Fatalf("after removing Q8_0: %s", got)
	}
	if err := c.Remove("acme/Tiny-GGUF"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(repoDir); err == nil {
		t.Error("empty repository folder kept")
	}
	if err := c.Remove("acme/Tiny"); err != nil {
		t.Fatal(err)
	}
	if got := names(); len(got) != 0 {
		t.Fatalf("after removing all: %v", got)
	}
	if err := c.Remove("acme/Tiny"); !errors.Is(err, ErrNotDownloaded) {
		t.Errorf("removing twice: %v", err)
	}
	if err := c.Remove("./some.gguf"); err == nil {
		t.Error("removing a local path succeeded")
	}
}

func TestResolveLocal(t *testing.T) {
	dir := t.TempDir()
	single := filepath.Join(dir, "m-Q8_0.gguf")
	mustWrite(t, single, []byte("GGUF"))
	for i := 1; i <= 2; i++ {
		mustWrite(t, filepath.Join(dir, "split", "s-0000"+string(rune('0'+i))+"-of-00002.gguf"), []byte("GGUF"))
	}
	mustWrite(t, filepath.Join(dir, "folder", "config.json"), []byte("{}"))
	mustWrite(t, filepath.Join(dir, "folder", "model.safetensors"), []byte("x"))
	c := &Client{HFEndpoint: "http://127.0.0.1:1"}
	cases := []struct {
		path    string
		format  string
		files   int
		wantErr bool
	}{
		{single, FormatGGUF, 1, false},
		{filepath.Join(dir, "split", "s-00002-of-00002.gguf"), FormatGGUF, 2, false},
		{filepath.Join(dir, "folder"), FormatSafetensors, 2, false},
		{filepath.Join(dir, "missing.gguf"), "", 0, true},
		{filepath.Join(dir, "folder", "config.json"), "", 0, true},
	}
	for _, tc := range cases {
		m, err := c.Resolve(context.Background(), tc.path, true)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		if err == nil && (m.Format != tc.format || len(m.Files) != tc.files || m.Kind != KindLocal) {
			t.Errorf("%s: got %+v", tc.path, m)
		}
	}
}
