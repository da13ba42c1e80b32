package hub

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// DefaultQuant is the GGUF quantization chosen when a name has no tag.
const DefaultQuant = "Q4_K_M"

// defaultQuants are tried in order when no tag is given.
var defaultQuants = []string{DefaultQuant, "Q4_0", "Q8_0"}

// splitSuffix matches the shard suffix of split GGUF files.
var splitSuffix = regexp.MustCompile(`(?i)-(\d{5})-of-(\d{5})\.gguf$`)

// knownQuant finds a quantization tag in a file name, for naming files that
// were found on disk.
var knownQuant = regexp.MustCompile(`(?i)(?:^|[-._/])((?:UD-)?(?:I?Q[0-9]+(?:_[A-Z0-9]+)*|T?Q[0-9]_[0-9]|BF16|F16|F32|FP16|FP32|MXFP4(?:_MOE)?))(?:[-._/]|$)`)

// ggufGroup is one loadable GGUF model: a single file or all shards of a
// split file.
type ggufGroup struct {
	Files []string // repository-relative paths, first shard first
	Quant string   // tag as written in the file name, if any
}

// isProjector reports whether a GGUF file is a vision projector rather than
// a language model.
func isProjector(p string) bool {
	return strings.Contains(strings.ToLower(path.Base(p)), "mmproj")
}

// ggufGroups groups GGUF paths into models: split shards with the same
// prefix and shard count form one group. Projectors and non-GGUF files are
// left out. Shard sets with a missing member are left out too.
func ggufGroups(files []string) []ggufGroup {
	type shardSet struct {
		total int
		files map[int]string
	}
	sets := map[string]*shardSet{}
	var groups []ggufGroup
	for _, f := range files {
		if !strings.HasSuffix(strings.ToLower(f), ".gguf") || isProjector(f) {
			continue
		}
		m := splitSuffix.FindStringSubmatch(f)
		if m == nil {
			groups = append(groups, ggufGroup{Files: []string{f}})
			continue
		}
		idx, _ := strconv.Atoi(m[1])
		total, _ := strconv.Atoi(m[2])
		key := f[:len(f)-len(m[0])] + "/" + m[2]
		s := sets[key]
		if s == nil {
			s = &shardSet{total: total, files: map[int]string{}}
			sets[key] = s
		}
		s.files[idx] = f
	}
	for _, s := range sets {
		if s.total < 1 || len(s.files) != s.total {
			continue
		}
		g := ggufGroup{}
		complete := true
		for i := 1; i <= s.total; i++ {
			f, ok := s.files[i]
			if !ok {
				complete = false
				break
			}
			g.Files = append(g.Files, f)
		}
		if complete {
			groups = append(groups, g)
		}
	}
	for i := range groups {
		groups[i].Quant = quantOf(groups[i].Files[0])
	}
	sort.Slice(groups, func(i, j int) bool {
		a, b := groups[i].Files[0], groups[j].Files[0]
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	})
	return groups
}

// quantOf returns the quantization tag written in a GGUF file name, or the
// file's base name without extension when there is none.
func quantOf(p string) string {
	base := splitSuffix.ReplaceAllString(path.Base(p), ".gguf")
	if m := knownQuant.FindAllStringSubmatch(base, -1); len(m) > 0 {
		return strings.ToUpper(m[len(m)-1][1])
	}
	return strings.TrimSuffix(base, path.Ext(base))
}

// matchesTag reports whether tag appears in p as a whole word, ignoring
// case: preceded by the start of the path or one of "-./_", and followed by
// its end or one of "-./" (not '_', so "Q4_K" does not match "Q4_K_M").
func matchesTag(p, tag string) bool {
	lp, lt := strings.ToLower(p), strings.ToLower(tag)
	for from := 0; ; {
		i := strings.Index(lp[from:], lt)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(lt)
		before := i == 0 || strings.ContainsRune("-./_", rune(lp[i-1]))
		after := end == len(lp) || strings.ContainsRune("-./", rune(lp[end]))
		if before && after {
			return true
		}
		from = i + 1
	}
}

// selectGGUF picks the GGUF model for a tag among repository files. With an
// empty tag it tries defaultQuants, then a repository's only model.
func selectGGUF(files []string, tag string) (ggufGroup, error) {
	groups := ggufGroups(files)
	if len(groups) == 0 {
		return ggufGroup{}, fmt.Errorf("no GGUF model files")
	}
	find := func(t string) (ggufGroup, bool) {
		for _, g := range groups {
			if matchesTag(g.Files[0], t) {
				return g, true
			}
		}
		return ggufGroup{}, false
	}
	if tag != "" {
		if g, ok := find(tag); ok {
			return g, nil
		}
		return ggufGroup{}, fmt.Errorf("no GGUF file matches tag %q; available: %s", tag, availableTags(groups))
	}
	for _, t := range defaultQuants {
		if g, ok := find(t); ok {
			return g, nil
		}
	}
	if len(groups) == 1 {
		return groups[0], nil
	}
	return ggufGroup{}, fmt.Errorf("no %s file and several GGUF files to choose from; add a tag, one of: %s", DefaultQuant, availableTags(groups))
}

func availableTags(groups []ggufGroup) string {
	seen := map[string]bool{}
	var tags []string
	for _, g := range groups {
		if !seen[g.Quant] {
			seen[g.Quant] = true
			tags = append(tags, g.Quant)
		}
	}
	sort.Strings(tags)
	return strings.Join(tags, ", ")
}
