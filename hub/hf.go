package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

var (
	commitHash = regexp.MustCompile(`^[0-9a-f]{40}$`)
	hex64      = regexp.MustCompile(`^[0-9a-f]{64}$`)
	safeEtag   = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$`)
)

// hfRepoInfo is the part of the Hub's model info answer that we use.
type hfRepoInfo struct {
	SHA      string `json:"sha"`
	Siblings []struct {
		RFilename string `json:"rfilename"`
	} `json:"siblings"`
}

// hfMeta is what a HEAD request on a repository file tells.
type hfMeta struct {
	File   string
	Commit string
	Etag   string
	Size   int64
	URL    string // where to GET the bytes
}

// hfRepoDir returns the cache folder of a repository, checking that the
// name cannot leave the cache.
func (c *Client) hfRepoDir(repo string) (string, error) {
	ref, err := parseHF(repo, strings.Split(repo, "/"))
	if err != nil {
		return "", err
	}
	org, name, _ := strings.Cut(ref.Repo, "/")
	root := c.hfCache()
	dir := filepath.Join(root, "models--"+org+"--"+name)
	if !within(root, dir) {
		return "", fmt.Errorf("repository %q: cache path escapes %s", repo, root)
	}
	return dir, nil
}

// within reports whether p lies strictly inside root.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// safeRelPath reports whether a repository file name is a clean relative
// path that stays inside its folder.
func safeRelPath(p string) bool {
	if p == "" || len(p) > 1024 || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || path.Clean(p) != p {
		return false
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

func (c *Client) hfSameHost(u string) bool {
	a, err1 := url.Parse(u)
	b, err2 := url.Parse(c.hfEndpoint())
	return err1 == nil && err2 == nil && strings.EqualFold(a.Host, b.Host)
}

// request sends a metadata request, retrying server errors and network
// failures. Only 2xx and 3xx answers are returned.
func (c *Client) request(ctx context.Context, hc *http.Client, method, u string, header http.Header, auth bool, what string) (*http.Response, error) {
	failures := 0
	for {
		req, err := http.NewRequestWithContext(ctx, method, u, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: bad address %q: %w", what, u, err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		c.setHeaders(req, auth)
		resp, err := hc.Do(req)
		if err == nil {
			if resp.StatusCode < 400 {
				return resp, nil
			}
			err = statusError(resp, what, auth)
			resp.Body.Close()
		} else if ctx.Err() == nil {
			err = fmt.Errorf("%s: %w", what, err)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", what, ctx.Err())
		}
		if isPermanent(err) {
			return nil, err
		}
		failures++
		if failures > c.Retries {
			return nil, err
		}
		if err := sleepCtx(ctx, c.retryDelay()); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
}

// hfInfo fetches the file list of a repository at a revision.
func (c *Client) hfInfo(ctx context.Context, repo, rev string) (hfRepoInfo, error) {
	u := c.hfEndpoint() + "/api/models/" + escapePath(repo) + "/revision/" + url.PathEscape(rev)
	resp, err := c.request(ctx, c.httpClient(), http.MethodGet, u, http.Header{"Accept": {"application/json"}}, true, "hf.co/"+repo)
	if err != nil {
		return hfRepoInfo{}, err
	}
	defer resp.Body.Close()
	var info hfRepoInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&info); err != nil {
		return hfRepoInfo{}, fmt.Errorf("hf.co/%s: reading the file list: %w", repo, err)
	}
	if !commitHash.MatchString(info.SHA) {
		return hfRepoInfo{}, fmt.Errorf("hf.co/%s: the Hub answered with an invalid commit %q", repo, info.SHA)
	}
	return info, nil
}

// hfHead asks where a file's bytes are and what they should be, following
// relative redirects (renamed repositories) but not the one to the CDN.
func (c *Client) hfHead(ctx context.Context, repo, rev, file string) (hfMeta, error) {
	u := c.hfEndpoint() + "/" + escapePath(repo) + "/resolve/" + url.PathEscape(rev) + "/" + escapePath(file)
	hc := *c.httpClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	what := "hf.co/" + repo + "/" + file
	for hops := 0; hops < 10; hops++ {
		resp, err := c.request(ctx, &hc, http.MethodHead, u, http.Header{"Accept-Encoding": {"identity"}}, c.hfSameHost(u), what)
		if err != nil {
			return hfMeta{}, err
		}
		resp.Body.Close()
		next := u
		if resp.StatusCode >= 300 {
			loc := resp.Header.Get("Location")
			lu, err := url.Parse(loc)
			if loc == "" || err != nil {
				return hfMeta{}, fmt.Errorf("%s: redirect with bad Location %q", what, loc)
			}
			target := resp.Request.URL.ResolveReference(lu)
			if target.Scheme != "http" && target.Scheme != "https" {
				return hfMeta{}, fmt.Errorf("%s: redirect to unsupported address %q", what, loc)
			}
			next = target.String()
			if lu.Host == "" && resp.Header.Get("X-Linked-Etag") == "" {
				u = next
				continue
			}
		}
		return parseHFMeta(resp.Header, file, next, what)
	}
	return hfMeta{}, fmt.Errorf("%s: too many redirects", what)
}

func parseHFMeta(h http.Header, file, u, what string) (hfMeta, error) {
	m := hfMeta{File: file, URL: u, Commit: h.Get("X-Repo-Commit")}
	etag := h.Get("X-Linked-Etag")
	if etag == "" {
		etag = h.Get("ETag")
	}
	etag = strings.Trim(strings.TrimPrefix(strings.TrimSpace(etag), "W/"), `"`)
	if etag == "" {
		return hfMeta{}, fmt.Errorf("%s: the Hub sent no ETag", what)
	}
	if !safeEtag.MatchString(etag) {
		return hfMeta{}, fmt.Errorf("%s: the Hub sent an unusable ETag %q", what, etag)
	}
	m.Etag = strings.ToLower(etag)
	if !hex64.MatchString(m.Etag) && !commitHash.MatchString(m.Etag) {
		m.Etag = etag // keep the Hub's spelling for opaque tags
	}
	sz := h.Get("X-Linked-Size")
	if sz == "" {
		sz = h.Get("Content-Length")
	}
	m.Size = -1
	if sz != "" {
		n, err := strconv.ParseInt(sz, 10, 64)
		if err != nil || n < 0 {
			return hfMeta{}, fmt.Errorf("%s: bad size %q", what, sz)
		}
		m.Size = n
	}
	return m, nil
}

// folderFile reports whether a repository file belongs to the safetensors
// model folder we download.
func folderFile(p string) bool {
	if strings.Contains(p, "/") {
		return false
	}
	l := strings.ToLower(p)
	for _, ext := range []string{".json", ".safetensors", ".model", ".tiktoken", ".jinja", ".txt"} {
		if strings.HasSuffix(l, ext) {
			return !strings.HasPrefix(l, "training_args") && l != "requirements.txt"
		}
	}
	return false
}

// pullHF downloads a GGUF model or a safetensors folder from the Hub into
// the Hugging Face cache.
func (c *Client) pullHF(ctx context.Context, ref Ref) (Model, error) {
	if c.Offline {
		m, err := c.cachedHF(ref)
		if err != nil {
			return Model{}, fmt.Errorf("offline mode is on (HF_HUB_OFFLINE): %w", err)
		}
		return m, nil
	}
	repoDir, err := c.hfRepoDir(ref.Repo)
	if err != nil {
		return Model{}, err
	}
	info, err := c.hfInfo(ctx, ref.Repo, "main")
	if err != nil {
		// Unreachable Hub: a cached copy is still good.
		if !isPermanent(err) && ctx.Err() == nil {
			if m, cerr := c.cachedHF(ref); cerr == nil {
				return m, nil
			}
		}
		return Model{}, err
	}
	var files []string
	for _, s := range info.Siblings {
		if safeRelPath(s.RFilename) {
			files = append(files, s.RFilename)
		}
	}
	var want []string
	format, quant := FormatGGUF, ref.Quant
	if g, gerr := selectGGUF(files, ref.Quant); gerr == nil {
		want = g.Files
		if quant == "" {
			quant = g.Quant
		}
	} else {
		if len(ggufGroups(files)) > 0 || ref.Quant != "" {
			return Model{}, fmt.Errorf("hf.co/%s: %w", ref.Repo, gerr)
		}
		format = FormatSafetensors
		hasWeights := false
		for _, f := range files {
			if folderFile(f) {
				want = append(want, f)
				hasWeights = hasWeights || strings.HasSuffix(strings.ToLower(f), ".safetensors")
			}
		}
		if !hasWeights {
			return Model{}, fmt.Errorf("hf.co/%s has neither GGUF nor safetensors files", ref.Repo)
		}
	}

	metas := make([]hfMeta, 0, len(want))
	for _, f := range want {
		m, err := c.hfHead(ctx, ref.Repo, info.SHA, f)
		if err != nil {
			return Model{}, err
		}
		metas = append(metas, m)
	}
	if format == FormatSafetensors {
		// Small files first: once the weights are in, the folder is whole.
		sort.SliceStable(metas, func(i, j int) bool { return metas[i].Size < metas[j].Size })
	}
	for _, m := range metas {
		entry := filepath.Join(repoDir, "snapshots", info.SHA, filepath.FromSlash(m.File))
		if fi, err := os.Lstat(entry); err == nil && fi.Mode().IsRegular() && (m.Size < 0 || fi.Size() == m.Size) {
			// A whole file (not a link) is already in the snapshot, which
			// other tools make without a blob where links are not possible.
			c.emit(Progress{Name: m.File, Done: fi.Size(), Total: fi.Size(), Resumed: fi.Size(), Finished: true})
			continue
		}
		d := download{
			URL:   m.URL,
			Dest:  filepath.Join(repoDir, "blobs", m.Etag),
			Size:  m.Size,
			Label: m.File,
			Auth:  c.hfSameHost(m.URL),
		}
		switch {
		case hex64.MatchString(m.Etag):
			d.SHA256 = m.Etag
		case commitHash.MatchString(m.Etag):
			d.GitSHA1 = m.Etag
		}
		if err := c.downloadFile(ctx, d); err != nil {
			return Model{}, err
		}
		if err := linkSnapshot(repoDir, info.SHA, m.File, m.Etag); err != nil {
			return Model{}, err
		}
	}
	if err := writeFileAtomic(filepath.Join(repoDir, "refs", "main"), []byte(info.SHA)); err != nil {
		return Model{}, fmt.Errorf("hf.co/%s: writing refs/main: %w", ref.Repo, err)
	}
	snap := filepath.Join(repoDir, "snapshots", info.SHA)
	name := Ref{Kind: KindHF, Repo: ref.Repo}
	if format == FormatGGUF {
		name.Quant = quant
		return hfModel(name, snap, info.SHA, format, want, quant)
	}
	return hfModel(name, snap, info.SHA, format, want, "")
}

// linkSnapshot puts blobs/ETAG at snapshots/COMMIT/FILE: a relative
// symbolic link, as the Hugging Face cache has it, or, where symbolic links
// cannot be made (Windows without Developer Mode, some file systems), a hard
// link to the blob, or else a copy of it.
func linkSnapshot(repoDir, commit, file, etag string) error {
	link := filepath.Join(repoDir, "snapshots", commit, filepath.FromSlash(file))
	if !within(repoDir, link) {
		return fmt.Errorf("snapshot link for %q escapes %s", file, repoDir)
	}
	blob := filepath.Join(repoDir, "blobs", etag)
	target := filepath.FromSlash(strings.Repeat("../", strings.Count(file, "/")+2) + "blobs/" + etag)
	if fi, err := os.Lstat(link); err == nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			if cur, err := os.Readlink(link); err == nil && cur == target {
				return nil
			}
		} else if bfi, err := os.Stat(blob); err == nil && sameBlob(fi, bfi) {
			return nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return fmt.Errorf("creating snapshot folder for %s: %w", file, err)
	}
	tmp := fmt.Sprintf("%s.tmp-%d-%d", link, os.Getpid(), time.Now().UnixNano())
	if err := placeBlob(target, blob, tmp); err != nil {
		return fmt.Errorf("linking %s into the snapshot: %w", file, err)
	}
	if err := rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("linking %s into the snapshot: %w", file, err)
	}
	return nil
}

// symlink and hardLink make links; tests replace them to take the
// fallbacks of placeBlob.
var (
	symlink  = os.Symlink
	hardLink = os.Link
)

// placeBlob makes at tmp a symbolic link to target (relative to tmp's
// folder), or else a hard link to blob, or else a copy of blob carrying its
// modification time, so that sameBlob can tell the copy from other files.
func placeBlob(target, blob, tmp string) error {
	err := symlink(target, tmp)
	if err == nil {
		if _, lerr := os.Lstat(tmp); lerr == nil {
			return nil
		}
		// Some systems report success and make nothing.
		err = fmt.Errorf("symbolic link %s was not created", tmp)
	}
	lerr := hardLink(blob, tmp)
	if lerr == nil {
		return nil
	}
	if cerr := copyBlob(blob, tmp); cerr != nil {
		return fmt.Errorf("%w (no symbolic link: %v; no hard link: %v)", cerr, err, lerr)
	}
	return nil
}

// copyBlob copies blob to dst, a new file, with blob's modification time.
func copyBlob(blob, dst string) (err error) {
	in, err := os.Open(blob)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(dst)
		}
	}()
	if _, err = io.Copy(out, in); err != nil {
		return fmt.Errorf("copying %s: %w", blob, err)
	}
	if err = out.Sync(); err != nil {
		return fmt.Errorf("copying %s: %w", blob, err)
	}
	if err = out.Close(); err != nil {
		return fmt.Errorf("copying %s: %w", blob, err)
	}
	return os.Chtimes(dst, fi.ModTime(), fi.ModTime())
}

// sameBlob reports whether the regular file fi is the blob bfi: a hard link
// to it, or a copy made by copyBlob (same size and modification time).
func sameBlob(fi, bfi fs.FileInfo) bool {
	if !fi.Mode().IsRegular() || !bfi.Mode().IsRegular() {
		return false
	}
	return os.SameFile(fi, bfi) || (fi.Size() == bfi.Size() && fi.ModTime().Equal(bfi.ModTime()))
}

// blobIndex is the content of a repository's blobs folder, read when
// first needed.
type blobIndex struct {
	repoDir string
	blobs   map[string]fs.FileInfo
}

func (idx *blobIndex) load() {
	if idx.blobs != nil {
		return
	}
	idx.blobs = map[string]fs.FileInfo{}
	entries, _ := os.ReadDir(filepath.Join(idx.repoDir, "blobs"))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), incompleteSuffix) || strings.HasSuffix(e.Name(), partsSuffix) {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			idx.blobs[e.Name()] = fi
		}
	}
}

// blobOf returns the name of the blob that the snapshot entry p stands
// for, or "" when it is none: the target of a symbolic link, or the blob
// that a regular file is a hard link to or a copy of.
func (idx *blobIndex) blobOf(p string) string {
	fi, err := os.Lstat(p)
	if err != nil {
		return ""
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		t, err := os.Readlink(p)
		if err != nil {
			return ""
		}
		return filepath.Base(t)
	}
	idx.load()
	var alike []string
	for name, bfi := range idx.blobs {
		if os.SameFile(fi, bfi) {
			return name
		}
		if sameBlob(fi, bfi) {
			alike = append(alike, name)
		}
	}
	if len(alike) == 1 {
		return alike[0]
	}
	// Copies of blobs of one size made within the file system's time
	// resolution: compare contents.
	for _, name := range alike {
		if sameContent(p, filepath.Join(idx.repoDir, "blobs", name)) {
			return name
		}
	}
	return ""
}

func endOf(err error) bool { return err == io.EOF || err == io.ErrUnexpectedEOF }

// sameContent reports whether two files hold the same bytes.
func sameContent(a, b string) bool {
	fa, err := os.Open(a)
	if err != nil {
		return false
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false
	}
	defer fb.Close()
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false
		}
		if ea != nil || eb != nil {
			return endOf(ea) && endOf(eb)
		}
	}
}

// hfModel describes files in a snapshot folder.
func hfModel(name Ref, snap, commit, format string, files []string, quant string) (Model, error) {
	m := Model{Name: name.String(), Kind: KindHF, Format: format, Revision: commit, Quant: quant}
	for _, f := range files {
		p := filepath.Join(snap, filepath.FromSlash(f))
		fi, err := os.Stat(p)
		if err != nil {
			return Model{}, fmt.Errorf("%s: %w", name, err)
		}
		m.Files = append(m.Files, p)
		m.Size += fi.Size()
		if fi.ModTime().After(m.ModifiedAt) {
			m.ModifiedAt = fi.ModTime()
		}
	}
	if format == FormatGGUF {
		m.Path = m.Files[0]
		idx := blobIndex{repoDir: filepath.Dir(filepath.Dir(snap))}
		if b := idx.blobOf(m.Path); hex64.MatchString(b) {
			m.Digest = "sha256:" + b
		}
	} else {
		m.Path = snap
	}
	return m, nil
}

// hfSnapshot finds the snapshot that refs/main names, or else the newest.
func hfSnapshot(repoDir string) (string, string, error) {
	if b, err := os.ReadFile(filepath.Join(repoDir, "refs", "main")); err == nil {
		commit := strings.TrimSpace(string(b))
		snap := filepath.Join(repoDir, "snapshots", commit)
		if fi, err := os.Stat(snap); commitHash.MatchString(commit) && err == nil && fi.IsDir() {
			return commit, snap, nil
		}
	}
	entries, err := os.ReadDir(filepath.Join(repoDir, "snapshots"))
	if err != nil {
		return "", "", fmt.Errorf("%s has no snapshots: %w", repoDir, ErrNotDownloaded)
	}
	var best string
	var bestTime time.Time
	for _, e := range entries {
		if !e.IsDir() || !commitHash.MatchString(e.Name()) {
			continue
		}
		if fi, err := e.Info(); err == nil && (best == "" || fi.ModTime().After(bestTime)) {
			best, bestTime = e.Name(), fi.ModTime()
		}
	}
	if best == "" {
		return "", "", fmt.Errorf("%s has no snapshots: %w", repoDir, ErrNotDownloaded)
	}
	return best, filepath.Join(repoDir, "snapshots", best), nil
}

// snapshotFiles lists the files of a snapshot whose content is present,
// as slash-separated relative paths.
func snapshotFiles(snap string) []string {
	var out []string
	filepath.WalkDir(snap, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.Contains(e.Name(), ".tmp-") {
			return nil
		}
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		if rel, err := filepath.Rel(snap, p); err == nil {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// folderComplete checks that a folder holds a loadable safetensors model:
// config.json and all weight files (all shards named by the index, if any).
func folderComplete(dir string, names []string) error {
	has := map[string]bool{}
	anyWeights := false
	for _, n := range names {
		has[n] = true
		anyWeights = anyWeights || strings.HasSuffix(strings.ToLower(n), ".safetensors")
	}
	if !has["config.json"] {
		return fmt.Errorf("%s: no config.json", dir)
	}
	if has["model.safetensors.index.json"] {
		b, err := os.ReadFile(filepath.Join(dir, "model.safetensors.index.json"))
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(b, &idx); err != nil {
			return fmt.Errorf("%s: model.safetensors.index.json: %w", dir, err)
		}
		for _, f := range idx.WeightMap {
			if !has[f] {
				return fmt.Errorf("%s: weight file %s is missing", dir, f)
			}
		}
		return nil
	}
	if !anyWeights {
		return fmt.Errorf("%s: no .safetensors files", dir)
	}
	return nil
}

// cachedHF finds a model in the Hugging Face cache without network access.
func (c *Client) cachedHF(ref Ref) (Model, error) {
	repoDir, err := c.hfRepoDir(ref.Repo)
	if err != nil {
		return Model{}, err
	}
	if _, err := os.Stat(repoDir); err != nil {
		return Model{}, fmt.Errorf("hf.co/%s is not in the Hugging Face cache %s: %w", ref.Repo, c.hfCache(), ErrNotDownloaded)
	}
	commit, snap, err := hfSnapshot(repoDir)
	if err != nil {
		return Model{}, err
	}
	files := snapshotFiles(snap)
	if len(ggufGroups(files)) > 0 || ref.Quant != "" {
		g, err := selectGGUF(files, ref.Quant)
		if err != nil {
			return Model{}, fmt.Errorf("%s in the Hugging Face cache: %v: %w", ref, err, ErrNotDownloaded)
		}
		q := ref.Quant
		if q == "" {
			q = g.Quant
		}
		return hfModel(Ref{Kind: KindHF, Repo: ref.Repo, Quant: q}, snap, commit, FormatGGUF, g.Files, q)
	}
	var top []string
	for _, f := range files {
		if !strings.Contains(f, "/") {
			top = append(top, f)
		}
	}
	if err := folderComplete(snap, top); err != nil {
		return Model{}, fmt.Errorf("%s in the Hugging Face cache is incomplete (%v): %w", ref, err, ErrNotDownloaded)
	}
	var keep []string
	for _, f := range top {
		if folderFile(f) {
			keep = append(keep, f)
		}
	}
	return hfModel(Ref{Kind: KindHF, Repo: ref.Repo}, snap, commit, FormatSafetensors, keep, "")
}

// listHF lists the models in the Hugging Face cache.
func (c *Client) listHF() ([]Model, error) {
	root := c.hfCache()
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the Hugging Face cache %s: %w", root, err)
	}
	var out []Model
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "models--")
		if !ok || !e.IsDir() {
			continue
		}
		parts := strings.Split(rest, "--")
		if len(parts) != 2 {
			continue
		}
		repo := parts[0] + "/" + parts[1]
		if _, err := parseHF(repo, parts); err != nil {
			continue
		}
		repoDir := filepath.Join(root, e.Name())
		commit, snap, err := hfSnapshot(repoDir)
		if err != nil {
			continue
		}
		files := snapshotFiles(snap)
		groups := ggufGroups(files)
		for _, g := range groups {
			if m, err := hfModel(Ref{Kind: KindHF, Repo: repo, Quant: g.Quant}, snap, commit, FormatGGUF, g.Files, g.Quant); err == nil {
				out = append(out, m)
			}
		}
		if len(groups) == 0 {
			if m, err := c.cachedHF(Ref{Kind: KindHF, Repo: repo}); err == nil {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// removeHF deletes a GGUF model (its snapshot links and the blobs nothing
// else links to) or a whole safetensors repository from the cache.
func (c *Client) removeHF(ref Ref) error {
	repoDir, err := c.hfRepoDir(ref.Repo)
	if err != nil {
		return err
	}
	m, err := c.cachedHF(ref)
	if err != nil {
		return err
	}
	if m.Format == FormatSafetensors {
		if err := os.RemoveAll(repoDir); err != nil {
			return fmt.Errorf("removing %s: %w", repoDir, err)
		}
		return nil
	}
	rels := make([]string, len(m.Files))
	snapRoot := filepath.Join(repoDir, "snapshots", m.Revision)
	for i, f := range m.Files {
		rel, err := filepath.Rel(snapRoot, f)
		if err != nil {
			return fmt.Errorf("removing %s: %w", ref, err)
		}
		rels[i] = rel
	}
	// Drop the links (or hard links, or copies) in every snapshot,
	// remembering their blobs.
	idx := blobIndex{repoDir: repoDir}
	blobs := map[string]bool{}
	snaps, _ := os.ReadDir(filepath.Join(repoDir, "snapshots"))
	for _, s := range snaps {
		for _, rel := range rels {
			link := filepath.Join(repoDir, "snapshots", s.Name(), rel)
			if b := idx.blobOf(link); b != "" {
				blobs[b] = true
			}
			if err := os.Remove(link); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing %s: %w", link, err)
			}
		}
	}
	// Keep blobs that other entries still use.
	remaining := 0
	filepath.WalkDir(filepath.Join(repoDir, "snapshots"), func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		remaining++
		delete(blobs, idx.blobOf(p))
		return nil
	})
	if remaining == 0 {
		if err := os.RemoveAll(repoDir); err != nil {
			return fmt.Errorf("removing %s: %w", repoDir, err)
		}
		return nil
	}
	for b := range blobs {
		p := filepath.Join(repoDir, "blobs", b)
		if within(repoDir, p) {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing %s: %w", p, err)
			}
		}
	}
	removeEmptyDirs(filepath.Join(repoDir, "snapshots"))
	return nil
}

// removeEmptyDirs removes empty folders below root (root included).
func removeEmptyDirs(root string) {
	var dirs []string
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i]) // fails, harmlessly, when not empty
	}
}
