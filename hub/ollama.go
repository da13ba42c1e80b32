package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Ollama media types.
const (
	ollamaManifestType = "application/vnd.docker.distribution.manifest.v2+json"
	mediaModel         = "application/vnd.ollama.image.model"
	mediaTemplate      = "application/vnd.ollama.image.template"
	mediaParams        = "application/vnd.ollama.image.params"
	mediaSystem        = "application/vnd.ollama.image.system"
	mediaLicense       = "application/vnd.ollama.image.license"
	mediaProjector     = "application/vnd.ollama.image.projector"
)

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

type ollamaLayer struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

type ollamaManifest struct {
	SchemaVersion int           `json:"schemaVersion"`
	MediaType     string        `json:"mediaType"`
	Config        ollamaLayer   `json:"config"`
	Layers        []ollamaLayer `json:"layers"`
}

// blobs returns the config and layers, each digest once.
func (m ollamaManifest) blobs() []ollamaLayer {
	seen := map[string]bool{}
	var out []ollamaLayer
	for _, l := range append([]ollamaLayer{m.Config}, m.Layers...) {
		if l.Digest == "" || seen[l.Digest] {
			continue
		}
		seen[l.Digest] = true
		out = append(out, l)
	}
	return out
}

func parseManifest(b []byte, what string) (ollamaManifest, error) {
	var m ollamaManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: reading manifest: %w", what, err)
	}
	hasModel := false
	for _, l := range append([]ollamaLayer{m.Config}, m.Layers...) {
		if l.Digest == "" && l.MediaType == "" {
			continue
		}
		if !digestRE.MatchString(l.Digest) {
			return m, fmt.Errorf("%s: manifest has an invalid digest %q", what, l.Digest)
		}
		if l.Size < 0 {
			return m, fmt.Errorf("%s: manifest has a negative size for %s", what, l.Digest)
		}
		hasModel = hasModel || l.MediaType == mediaModel
	}
	if !hasModel {
		return m, fmt.Errorf("%s: manifest has no model layer (%s)", what, mediaModel)
	}
	return m, nil
}

// ollamaManifestPath returns where a reference's manifest lives, checking
// that the name cannot leave the store.
func (c *Client) ollamaManifestPath(ref Ref) (string, error) {
	for _, p := range []string{ref.Namespace, ref.Model} {
		if !ollamaPart.MatchString(p) || strings.Contains(p, "..") {
			return "", fmt.Errorf("invalid Ollama model name %q", ref.String())
		}
	}
	if !ollamaTag.MatchString(ref.Tag) || strings.Contains(ref.Tag, "..") ||
		!hostName.MatchString(ref.Host) || strings.Contains(ref.Host, "..") {
		return "", fmt.Errorf("invalid Ollama model name %q", ref.String())
	}
	root := c.ollamaDir()
	p := filepath.Join(root, "manifests", ref.Host, ref.Namespace, ref.Model, ref.Tag)
	if !within(root, p) {
		return "", fmt.Errorf("model %q: manifest path escapes %s", ref.String(), root)
	}
	return p, nil
}

func ollamaBlobPath(root, digest string) string {
	return filepath.Join(root, "blobs", strings.Replace(digest, ":", "-", 1))
}

func layerKind(mediaType string) string {
	if k, ok := strings.CutPrefix(mediaType, "application/vnd.ollama.image."); ok {
		return k
	}
	return "config"
}

// pullOllama fetches a manifest and its blobs into Ollama's layout.
func (c *Client) pullOllama(ctx context.Context, ref Ref) (Model, error) {
	if c.Offline {
		m, err := c.cachedOllama(ref)
		if err != nil {
			return Model{}, fmt.Errorf("offline mode is on: %w", err)
		}
		return m, nil
	}
	mpath, err := c.ollamaManifestPath(ref)
	if err != nil {
		return Model{}, err
	}
	root := c.ollamaDir()
	base := c.ollamaRegistry(ref.Host) + "/v2/" + ref.Namespace + "/" + ref.Model
	name := ref.String()
	resp, err := c.request(ctx, c.httpClient(), http.MethodGet, base+"/manifests/"+ref.Tag,
		http.Header{"Accept": {ollamaManifestType}}, false, name)
	if err != nil {
		// Unreachable registry: a stored copy is still good.
		if !isPermanent(err) && ctx.Err() == nil {
			if m, cerr := c.cachedOllama(ref); cerr == nil {
				return m, nil
			}
		}
		return Model{}, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	resp.Body.Close()
	if err != nil {
		return Model{}, fmt.Errorf("%s: reading manifest: %w", name, err)
	}
	man, err := parseManifest(body, name)
	if err != nil {
		return Model{}, err
	}
	for _, l := range man.blobs() {
		d := download{
			URL:    base + "/blobs/" + l.Digest,
			Dest:   ollamaBlobPath(root, l.Digest),
			SHA256: strings.TrimPrefix(l.Digest, "sha256:"),
			Size:   l.Size,
			Label:  name + " " + layerKind(l.MediaType),
		}
		if err := c.downloadFile(ctx, d); err != nil {
			return Model{}, err
		}
	}
	if err := writeFileAtomic(mpath, body); err != nil {
		return Model{}, fmt.Errorf("%s: saving manifest: %w", name, err)
	}
	return ollamaModel(ref, root, man, mpath)
}

// ollamaModel describes a stored manifest; every blob must be present.
func ollamaModel(ref Ref, root string, man ollamaManifest, mpath string) (Model, error) {
	m := Model{Name: ref.String(), Kind: KindOllama, Format: FormatGGUF, Quant: ref.Tag}
	if fi, err := os.Stat(mpath); err == nil {
		m.ModifiedAt = fi.ModTime()
	}
	for _, l := range man.blobs() {
		p := ollamaBlobPath(root, l.Digest)
		fi, err := os.Stat(p)
		if err != nil || fi.Size() != l.Size {
			return Model{}, fmt.Errorf("%s: blob %s is missing or incomplete: %w", m.Name, l.Digest, ErrNotDownloaded)
		}
		m.Size += l.Size
		switch l.MediaType {
		case mediaModel:
			if m.Path == "" {
				m.Path, m.Digest, m.Files = p, l.Digest, []string{p}
			}
		case mediaTemplate:
			m.TemplatePath = p
			m.Template = readSmall(p)
		case mediaSystem:
			m.SystemPath = p
			m.System = readSmall(p)
		case mediaParams:
			m.ParamsPath = p
			var params map[string]any
			if json.Unmarshal([]byte(readSmall(p)), &params) == nil {
				m.Params = params
			}
		case mediaLicense:
			m.LicensePath = p
		case mediaProjector:
			m.ProjectorPath = p
		}
	}
	if m.Path == "" {
		return Model{}, fmt.Errorf("%s: manifest has no model layer", m.Name)
	}
	return m, nil
}

// readSmall reads a small text layer; larger content is cut at 1 MiB.
func readSmall(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	return string(b)
}

// cachedOllama finds a model in the Ollama store without network access.
func (c *Client) cachedOllama(ref Ref) (Model, error) {
	mpath, err := c.ollamaManifestPath(ref)
	if err != nil {
		return Model{}, err
	}
	b, err := os.ReadFile(mpath)
	if errors.Is(err, fs.ErrNotExist) {
		return Model{}, fmt.Errorf("%s is not in the Ollama store %s: %w", ref, c.ollamaDir(), ErrNotDownloaded)
	}
	if err != nil {
		return Model{}, fmt.Errorf("reading manifest %s: %w", mpath, err)
	}
	man, err := parseManifest(b, ref.String())
	if err != nil {
		return Model{}, err
	}
	return ollamaModel(ref, c.ollamaDir(), man, mpath)
}

// ollamaManifests walks manifests/HOST/NAMESPACE/MODEL/TAG.
func (c *Client) ollamaManifests() ([]Ref, error) {
	root := filepath.Join(c.ollamaDir(), "manifests")
	var refs []Ref
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return nil
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return nil
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 4 {
			return nil
		}
		refs = append(refs, Ref{Kind: KindOllama, Host: parts[0], Namespace: parts[1], Model: parts[2], Tag: parts[3]})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the Ollama store %s: %w", root, err)
	}
	return refs, nil
}

// listOllama lists the complete models in the Ollama store.
func (c *Client) listOllama() ([]Model, error) {
	refs, err := c.ollamaManifests()
	if err != nil {
		return nil, err
	}
	var out []Model
	for _, r := range refs {
		if m, err := c.cachedOllama(r); err == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// removeOllama deletes a manifest and the blobs no other manifest uses.
func (c *Client) removeOllama(ref Ref) error {
	mpath, err := c.ollamaManifestPath(ref)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(mpath)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is not in the Ollama store %s: %w", ref, c.ollamaDir(), ErrNotDownloaded)
	}
	if err != nil {
		return fmt.Errorf("reading manifest %s: %w", mpath, err)
	}
	var man ollamaManifest
	json.Unmarshal(b, &man) // a broken manifest is still removed
	if err := os.Remove(mpath); err != nil {
		return fmt.Errorf("removing %s: %w", mpath, err)
	}
	for dir := filepath.Dir(mpath); within(filepath.Join(c.ollamaDir(), "manifests"), dir); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break
		}
	}
	used := map[string]bool{}
	refs, err := c.ollamaManifests()
	if err != nil {
		return err
	}
	for _, r := range refs {
		p, err := c.ollamaManifestPath(r)
		if err != nil {
			continue
		}
		other, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("reading manifest %s: %w", p, err)
		}
		var om ollamaManifest
		if json.Unmarshal(other, &om) != nil {
			return fmt.Errorf("manifest %s is unreadable; not removing any blobs", p)
		}
		for _, l := range om.blobs() {
			used[l.Digest] = true
		}
	}
	for _, l := range man.blobs() {
		if used[l.Digest] || !digestRE.MatchString(l.Digest) {
			continue
		}
		p := ollamaBlobPath(c.ollamaDir(), l.Digest)
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing %s: %w", p, err)
		}
	}
	return nil
}
