package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/nuri-ai/nuri/tensor"
)

// IndexFile is the name of a sharded model's index.
const IndexFile = "model.safetensors.index.json"

// SingleFile is the name of an unsharded model's weights.
const SingleFile = "model.safetensors"

// maxIndexSize bounds the index file read into memory.
const maxIndexSize = 100 << 20

// Index is the content of model.safetensors.index.json.
type Index struct {
	Metadata  map[string]any    `json:"metadata,omitempty"`
	WeightMap map[string]string `json:"weight_map"`
}

// Model is the set of weights of a model folder, possibly spread over
// several shard files.
type Model struct {
	dir   string
	files []*File
	where map[string]*File
	names []string
}

// OpenDir opens the weights of a Hugging Face model folder:
//
//   - with model.safetensors.index.json, every shard its weight_map names is
//     opened once, and each listed tensor must be present in its shard;
//   - otherwise model.safetensors, if present;
//   - otherwise every *.safetensors file in the folder (tensor names must
//     not repeat across files).
//
// dir may also name a single .safetensors file. Shard names in the index must
// stay inside the folder (symbolic links, as in a Hugging Face cache snapshot,
// are followed).
func OpenDir(dir string) (*Model, error) {
	m := &Model{dir: dir, where: map[string]*File{}}
	if err := m.open(); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

func (m *Model) open() error {
	dir := m.dir
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if !st.IsDir() {
		m.dir = filepath.Dir(dir)
		return m.addFile(dir)
	}
	indexPath := filepath.Join(dir, IndexFile)
	switch _, err := os.Stat(indexPath); {
	case err == nil:
		return m.openIndexed(indexPath)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("safetensors: %w", err)
	}
	single := filepath.Join(dir, SingleFile)
	if _, err := os.Stat(single); err == nil {
		return m.addFile(single)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil {
		return fmt.Errorf("safetensors: %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return fmt.Errorf("safetensors: %s: no %s, %s or *.safetensors file", dir, IndexFile, SingleFile)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := m.addFile(p); err != nil {
			return err
		}
	}
	return nil
}

// addFile opens one file and adds all its tensors.
func (m *Model) addFile(path string) error {
	f, err := Open(path)
	if err != nil {
		return err
	}
	m.files = append(m.files, f)
	for _, ti := range f.Tensors {
		if other, dup := m.where[ti.Name]; dup {
			return fmt.Errorf("safetensors: tensor %q is in both %s and %s", ti.Name, other.Path(), path)
		}
		m.where[ti.Name] = f
		m.names = append(m.names, ti.Name)
	}
	sort.Strings(m.names)
	return nil
}

func (m *Model) openIndexed(indexPath string) error {
	idx, err := ReadIndex(indexPath)
	if err != nil {
		return err
	}
	shards := map[string]*File{}
	names := make([]string, 0, len(idx.WeightMap))
	for name := range idx.WeightMap {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		shard := filepath.Clean(idx.WeightMap[name])
		f, ok := shards[shard]
		if !ok {
			if f, err = Open(filepath.Join(m.dir, shard)); err != nil {
				return fmt.Errorf("%w (shard of %s)", err, indexPath)
			}
			shards[shard] = f
			m.files = append(m.files, f)
		}
		if !f.Has(name) {
			return fmt.Errorf("safetensors: %s: tensor %q is mapped to %s, which does not contain it", indexPath, name, shard)
		}
		m.where[name] = f
	}
	m.names = names
	return nil
}

// ReadIndex reads and checks a model.safetensors.index.json: it must have a
// non-empty weight_map whose shard names are relative paths inside the
// index's folder.
func ReadIndex(path string) (*Index, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if st.Size() > maxIndexSize {
		return nil, fmt.Errorf("safetensors: %s: index is %d bytes, more than the %d-byte limit", path, st.Size(), maxIndexSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	var idx Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("safetensors: %s: empty or missing weight_map", path)
	}
	for name, shard := range idx.WeightMap {
		if !filepath.IsLocal(shard) || filepath.Ext(shard) != ".safetensors" {
			return nil, fmt.Errorf("safetensors: %s: tensor %q: shard %q is not a .safetensors file inside the model folder", path, name, shard)
		}
	}
	return &idx, nil
}

// Dir returns the model folder.
func (m *Model) Dir() string { return m.dir }

// Files returns the opened weight files (each shard once).
func (m *Model) Files() []*File { return m.files }

// Names returns every tensor name, sorted.
func (m *Model) Names() []string { return append([]string(nil), m.names...) }

// Has reports whether the model has the named tensor.
func (m *Model) Has(name string) bool {
	_, ok := m.where[name]
	return ok
}

// Info describes the named tensor, including its raw safetensors dtype.
func (m *Model) Info(name string) (TensorInfo, bool) {
	f, ok := m.where[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Info(name)
}

// Bytes returns the raw bytes of the named tensor as a zero-copy view.
func (m *Model) Bytes(name string) ([]byte, error) {
	f, ok := m.where[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: %s: no tensor %q", m.dir, name)
	}
	return f.Bytes(name)
}

// Tensor returns the named tensor as a zero-copy view (see File.Tensor).
func (m *Model) Tensor(name string) (*tensor.Tensor, error) {
	f, ok := m.where[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: %s: no tensor %q", m.dir, name)
	}
	return f.Tensor(name)
}

// Close closes every file of the model.
func (m *Model) Close() error {
	var errs []error
	for _, f := range m.files {
		if err := f.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
