// Macros shared by the amd64 assembly kernels. Go assembly macros belong to
// the file that defines them, so each kernel file includes this header
// instead of keeping its own copy.

// HSUMTO sums the 16 floats of zr (whose low halves are yr and xr) into
// dst; Y1 and X5 are clobbered.
#define HSUMTO(zr, yr, xr, dst) \
	VEXTRACTF64X4 $1, zr, Y1 \
	VADDPS Y1, yr, Y1 \
	VEXTRACTF128 $1, Y1, X5 \
	VADDPS X5, X1, X1 \
	VHADDPS X1, X1, X1 \
	VHADDPS X1, X1, X1 \
	VMOVSS X1, dst
