package hub

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// faults are misbehaviours a fake server can show while sending content.
type faults struct {
	cutAfter    int64         // with cuts > 0: drop the connection after this many body bytes
	cuts        int           // how many responses to cut
	corrupt     bool          // send wrong bytes
	ignoreRange bool          // answer ranged requests with 200 and the whole file
	force416    bool          // answer ranged requests with 416
	stall       time.Duration // pause in the middle of a body
	stalls      int           // how many responses to pause
}

// fakeCDN serves content addressed by sha256 and records requests.
type fakeCDN struct {
	srv *httptest.Server
	mu  sync.Mutex
	f   faults
	log []string // "METHOD path range auth"
	by  map[string][]byte
}

func newFakeCDN(t *testing.T) *fakeCDN {
	c := &fakeCDN{by: map[string][]byte{}}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.record(r)
		data, ok := c.get(strings.TrimPrefix(r.URL.Path, "/blobs/"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		// A client that gives up on a response closes its connection; a
		// write it never reads must fail rather than block the handler
		// (Wine does not always fail it when the peer closes).
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(30 * time.Second))
		c.serve(w, r, data)
	}))
	t.Cleanup(func() {
		// Close waits for the handlers; closing the connections first ends
		// writes that a departed client left blocked.
		c.srv.CloseClientConnections()
		c.srv.Close()
	})
	return c
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func gitSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func (c *fakeCDN) add(b []byte) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := sha256Hex(b)
	c.by[h] = b
	return h
}

func (c *fakeCDN) get(h string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.by[h]
	return b, ok
}

func (c *fakeCDN) url(h string) string { return c.srv.URL + "/blobs/" + h }

func (c *fakeCDN) setFaults(f faults) {
	c.mu.Lock()
	c.f = f
	c.mu.Unlock()
}

func (c *fakeCDN) record(r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = append(c.log, strings.TrimSpace(r.Method+" "+r.URL.Path+" "+r.Header.Get("Range")+" "+r.Header.Get("Authorization")))
}

func (c *fakeCDN) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.log...)
}

// serve answers a GET for data, honouring Range and the current faults.
func (c *fakeCDN) serve(w http.ResponseWriter, r *http.Request, data []byte) {
	c.mu.Lock()
	f := c.f
	stall := f.stalls > 0 && f.stall > 0
	if stall {
		c.f.stalls--
	}
	c.mu.Unlock()

	if f.corrupt {
		data = append([]byte(nil), data...)
		data[len(data)/2] ^= 0xff
	}
	n := int64(len(data))
	start, end, status := int64(0), n-1, http.StatusOK
	if rng := r.Header.Get("Range"); rng != "" && !f.ignoreRange {
		spec, ok := strings.CutPrefix(rng, "bytes=")
		a, b, _ := strings.Cut(spec, "-")
		s, err := strconv.ParseInt(a, 10, 64)
		if !ok || err != nil || s >= n || f.force416 {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", n))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start = s
		if b != "" {
			if e, err := strconv.ParseInt(b, 10, 64); err == nil && e < end {
				end = e
			}
		}
		status = http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, n))
	}
	w.Header().Set("Accept-Ranges", "bytes")
	w.Header().Set("Content-Length", strconv.FormatInt(end-start+1, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	body := data[start : end+1]
	c.mu.Lock()
	cut := c.f.cuts > 0 && int64(len(body)) > c.f.cutAfter
	if cut {
		c.f.cuts--
	}
	c.mu.Unlock()
	if cut {
		w.Write(body[:f.cutAfter])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	if stall {
		half := len(body) / 2
		w.Write(body[:half])
		w.(http.Flusher).Flush()
		select {
		case <-time.After(f.stall):
		case <-r.Context().Done():
			return
		}
		body = body[half:]
	}
	w.Write(body)
}

// fakeRepo is one repository on the fake Hub.
type fakeRepo struct {
	commit string
	files  map[string][]byte
}

// fakeHub imitates the Hugging Face Hub: model info, HEAD on resolve
// URLs with redirects (absolute to the CDN for large files, relative for
// small ones), and content.
type fakeHub struct {
	srv       *httptest.Server
	cdn       *fakeCDN
	mu        sync.Mutex
	repos     map[string]*fakeRepo
	renamed   map[string]string // old repo name -> new
	token     string            // when set, required on every Hub request
	badEtag   string            // when set, sent as the ETag of every file
	extraFile string            // when set, listed in every repository
	hits      int
	log       []string
}

func isLFS(name string) bool {
	return strings.HasSuffix(name, ".gguf") || strings.HasSuffix(name, ".safetensors")
}

func newFakeHub(t *testing.T) *fakeHub {
	h := &fakeHub{cdn: newFakeCDN(t), repos: map[string]*fakeRepo{}, renamed: map[string]string{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.handle))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *fakeHub) addRepo(name string, files map[string][]byte) *fakeRepo {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := &fakeRepo{commit: fmt.Sprintf("%040x", len(h.repos)+1), files: files}
	h.repos[name] = r
	for _, b := range files {
		h.cdn.add(b)
	}
	return r
}

func (h *fakeHub) requests() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.log...)
}

func (h *fakeHub) handle(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.hits++
	h.log = append(h.log, r.Method+" "+r.URL.Path)
	token, badEtag, extra := h.token, h.badEtag, h.extraFile
	h.mu.Unlock()
	if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
		w.Header().Set("X-Error-Code", "GatedRepo")
		w.Header().Set("X-Error-Message", "Access to this model is restricted.")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, "/api/models/"); ok {
		parts := strings.SplitN(rest, "/", 4)
		if len(parts) != 4 || parts[2] != "revision" {
			http.NotFound(w, r)
			return
		}
		repo := h.repo(parts[0] + "/" + parts[1])
		if repo == nil {
			w.Header().Set("X-Error-Code", "RepoNotFound")
			http.Error(w, `{"error":"Repository not found"}`, http.StatusNotFound)
			return
		}
		type sib struct {
			RFilename string `json:"rfilename"`
		}
		info := struct {
			ID       string `json:"id"`
			SHA      string `json:"sha"`
			Siblings []sib  `json:"siblings"`
		}{ID: parts[0] + "/" + parts[1], SHA: repo.commit}
		for name := range repo.files {
			info.Siblings = append(info.Siblings, sib{name})
		}
		if extra != "" {
			info.Siblings = append(info.Siblings, sib{extra})
		}
		json.NewEncoder(w).Encode(info)
		return
	}
	if rest, ok := strings.CutPrefix(p, "/api/resolve-cache/models/"); ok {
		parts := strings.SplitN(rest, "/", 4)
		if len(parts) != 4 {
			http.NotFound(w, r)
			return
		}
		repo := h.repo(parts[0] + "/" + parts[1])
		if repo == nil || repo.commit != parts[2] {
			http.NotFound(w, r)
			return
		}
		data, ok := repo.files[parts[3]]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Repo-Commit", repo.commit)
		etag := gitSHA1(data)
		if badEtag != "" {
			etag = badEtag
		}
		w.Header().Set("ETag", `"`+etag+`"`)
		h.cdn.serve(w, r, data)
		return
	}
	// /ORG/NAME/resolve/REV/FILE
	parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 5)
	if len(parts) != 5 || parts[2] != "resolve" {
		http.NotFound(w, r)
		return
	}
	name := parts[0] + "/" + parts[1]
	h.mu.Lock()
	newName, moved := h.renamed[name]
	h.mu.Unlock()
	if moved {
		w.Header().Set("Location", "/"+newName+"/resolve/"+parts[3]+"/"+parts[4])
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	repo := h.repo(name)
	if repo == nil || (parts[3] != "main" && parts[3] != repo.commit) {
		w.Header().Set("X-Error-Code", "RepoNotFound")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	data, ok := repo.files[parts[4]]
	if !ok {
		w.Header().Set("X-Error-Code", "EntryNotFound")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("X-Repo-Commit", repo.commit)
	if isLFS(parts[4]) {
		etag := sha256Hex(data)
		if badEtag != "" {
			etag = badEtag
		}
		w.Header().Set("ETag", `"`+gitSHA1([]byte("pointer "+etag))+`"`)
		w.Header().Set("X-Linked-Etag", `"`+etag+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(data)))
		w.Header().Set("Location", h.cdn.url(sha256Hex(data)))
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("Location", "/api/resolve-cache/models/"+name+"/"+repo.commit+"/"+parts[4])
	w.WriteHeader(http.StatusTemporaryRedirect)
}

func (h *fakeHub) repo(name string) *fakeRepo {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.repos[name]
}

// fakeRegistry imitates an Ollama registry: manifests by tag, blobs by
// digest redirected to the CDN.
type fakeRegistry struct {
	srv       *httptest.Server
	cdn       *fakeCDN
	mu        sync.Mutex
	manifests map[string][]byte // "ns/model:tag"
	hits      int
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	g := &fakeRegistry{cdn: newFakeCDN(t), manifests: map[string][]byte{}}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.hits++
		g.mu.Unlock()
		rest, ok := strings.CutPrefix(r.URL.Path, "/v2/")
		parts := strings.Split(rest, "/")
		if !ok || len(parts) != 4 {
			http.NotFound(w, r)
			return
		}
		switch parts[2] {
		case "manifests":
			g.mu.Lock()
			b, ok := g.manifests[parts[0]+"/"+parts[1]+":"+parts[3]]
			g.mu.Unlock()
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				w.Write([]byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`))
				return
			}
			w.Header().Set("Content-Type", ollamaManifestType)
			w.Write(b)
		case "blobs":
			w.Header().Set("Location", g.cdn.url(strings.TrimPrefix(parts[3], "sha256:")))
			w.WriteHeader(http.StatusTemporaryRedirect)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(g.srv.Close)
	return g
}

// addModel publishes a model with the given layers (media type -> content)
// and returns its manifest.
func (g *fakeRegistry) addModel(name string, layers [][2]string) ollamaManifest {
	cfg := []byte(`{"model_format":"gguf","model_family":"llama"}`)
	m := ollamaManifest{SchemaVersion: 2, MediaType: ollamaManifestType,
		Config: ollamaLayer{MediaType: "application/vnd.docker.container.image.v1+json", Digest: "sha256:" + g.cdn.add(cfg), Size: int64(len(cfg))}}
	for _, l := range layers {
		m.Layers = append(m.Layers, ollamaLayer{MediaType: l[0], Digest: "sha256:" + g.cdn.add([]byte(l[1])), Size: int64(len(l[1]))})
	}
	b, _ := json.Marshal(m)
	g.mu.Lock()
	g.manifests[name] = b
	g.mu.Unlock()
	return m
}
