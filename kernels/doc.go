// Package kernels holds Nuri's CPU compute kernels: matrix products over the
// GGML weight formats, a persistent worker pool, and the small vector
// operations of a transformer layer.
package kernels
