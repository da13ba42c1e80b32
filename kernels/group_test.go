package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nuri-ai/nuri/tensor"
)

// TestMatMulGroup checks that a group gives exactly the results of one
// MatMul per weight, for groups that run as one pass (same path and
// activation format, including prepared layouts) and groups that cannot.
func TestMatMulGroup(t *testing.T) {
	type member struct {
		t       tensor.DType
		rows    int
		prepare bool
	}
	cases := []struct {
		name    string
		cols    int
		members []member
		grouped bool
	}{
		{"q4_0 x16 qkv", 1024, []member{{tensor.Q4_0, 64, true}, {tensor.Q4_0, 16, true}, {tensor.Q4_0, 17, true}}, true},
		{"q8_0 x16 gate up", 512, []member{{tensor.Q8_0, 40, true}, {tensor.Q8_0, 40, true}}, true},
		{"q4_0 file layout", 96, []member{{tensor.Q4_0, 7, false}, {tensor.Q4_0, 33, false}}, true},
		{"q4_0 packed", 128, []member{{tensor.Q4_0, 9, true}, {tensor.Q4_0, 3, true}}, true},
		{"q4_k q6_k x16 qkv", 1024, []member{{tensor.Q4_K, 64, true}, {tensor.Q4_K, 16, true}, {tensor.Q6_K, 17, true}}, true},
		{"q4_k x16 with file layout", 512, []member{{tensor.Q4_K, 8, true}, {tensor.Q6_K, 8, false}}, false},
		{"q4_k with q6_k", 512, []member{{tensor.Q4_K, 20, false}, {tensor.Q6_K, 12, false}, {tensor.Q4_K, 5, false}}, true},
		{"f16 with f32", 80, []member{{tensor.F16, 10, false}, {tensor.F32, 3, false}, {tensor.F16, 21, false}}, true},
		{"bf16 with bf16", 96, []member{{tensor.BF16, 10, false}, {tensor.BF16, 21, false}}, true},
		{"f16 with bf16 (bfloat16 activations)", 80, []member{{tensor.F16, 10, false}, {tensor.BF16, 21, false}}, false},
		{"q4_0 with q8_0", 512, []member{{tensor.Q4_0, 8, true}, {tensor.Q8_0, 8, true}}, false},
		{"q4_k with q4_0", 256, []member{{tensor.Q4_K, 8, false}, {tensor.Q4_0, 8, false}}, false},
		{"x16 with file layout", 512, []member{{tensor.Q4_0, 8, true}, {tensor.Q4_0, 8, false}}, false},
		{"generic q8_k", 256, []member{{tensor.Q8_K, 8, false}, {tensor.Q8_K, 4, false}}, false},
		{"one weight", 64, []member{{tensor.Q5_0, 11, false}}, true},
		{"four weights", 256, []member{{tensor.Q5_K, 3, false}, {tensor.Q4_K, 4, false}, {tensor.Q6_K, 5, false}, {tensor.Q4_K, 1, false}}, true},
	}
	forLevels(t, func(t *testing.T) {
		for _, c := range cases {
			for _, n := range []int{1, 3, 4, 5, 9} {
				t.Run(fmt.Sprintf("%s/n%d", c.name, n), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(n), uint64(len(c.members))))
					ws := make([]*tensor.Tensor, len(c.members))
					for k, m := range c.members {
						ws[k] = randomWeight(rng, m.t, m.rows, c.cols)
						if m.prepare {
							ws[k] = Prepare(ws[k])
						}
					}
					if got := groupable(ws); got != c.grouped && len(ws) > 0 && CPULevel() == AVX512 {
						t.Fatalf("groupable = %v, want %v", got, c.grouped)
					}
					x := randomVec(rng, n*c.cols)
					p := NewPool(2)
					defer p.Close()
					outs := make([][]float32, len(ws))
					for k, w := range ws {
						outs[k] = make([]float32, n*w.Rows())
					}
					MatMulGroup(p, outs, ws, x, n)
					for k, w := range ws {
						want := make([]float32, n*w.Rows())
						MatMul(p, want, w, x, n)
						for i := range want {
							if outs[k][i] != want[i] {
								t.Fatalf("weight %d (%v) value %d: group %v, alone %v", k, w.Type, i, outs[k][i], want[i])
							}
						}
					}
				})
			}
		}
	})
}

func TestMatMulGroupAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ws := []*tensor.Tensor{Prepare(randomWeight(rng, tensor.Q4_0, 64, 512)), Prepare(randomWeight(rng, tensor.Q4_0, 32, 512))}
	outs := [][]float32{make([]float32, 64), make([]float32, 32)}
	x := randomVec(rng, 512)
	p := NewPool(2)
	defer p.Close()
	MatMulGroup(p, outs, ws, x, 1)
	if a := testing.AllocsPerRun(20, func() { MatMulGroup(p, outs, ws, x, 1) }); a != 0 {
		t.Fatalf("MatMulGroup allocates %v times per call", a)
	}
}

func TestMatMulGroupBadArgs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a, b := randomWeight(rng, tensor.F32, 4, 32), randomWeight(rng, tensor.F32, 4, 64)
	p := NewPool(1)
	defer p.Close()
	x := randomVec(rng, 64)
	for name, f := range map[string]func(){
		"column mismatch": func() {
			MatMulGroup(p, [][]float32{make([]float32, 4), make([]float32, 4)}, []*tensor.Tensor{a, b}, x, 1)
		},
		"count mismatch": func() { MatMulGroup(p, [][]float32{make([]float32, 4)}, []*tensor.Tensor{a, a}, x, 1) },
		"too many":       func() { MatMulGroup(p, make([][]float32, 5), []*tensor.Tensor{a, a, a, a, a}, x, 1) },
		"short output":   func() { MatMulGroup(p, [][]float32{make([]float32, 3)}, []*tensor.Tensor{a}, x, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
