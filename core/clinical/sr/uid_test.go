package sr

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// decimal128 gives what math/big gave for the UIDs: edges and random values.
func TestDecimal128MatchesBig(t *testing.T) {
	vals := [][2]uint64{{0, 0}, {0, 1}, {0, math.MaxUint64}, {1, 0}, {math.MaxUint64, math.MaxUint64},
		{0, 10_000_000_000_000_000_000 - 1}, {0, 10_000_000_000_000_000_000}, {5421010862427522170, 687399551400673280}} // the last is 10^38
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		vals = append(vals, [2]uint64{rng.Uint64() >> rng.UintN(64), rng.Uint64()})
	}
	for _, v := range vals {
		want := new(big.Int).Lsh(new(big.Int).SetUint64(v[0]), 64)
		want.Or(want, new(big.Int).SetUint64(v[1]))
		if got := decimal128(v[0], v[1]); got != want.String() {
			t.Fatalf("decimal128(%d, %d) = %s, want %s", v[0], v[1], got, want)
		}
	}
	// A UID of the 2.25 form fits DICOM's 64 characters.
	if u := uid([]byte("seed"), "instance"); len(u) > 64 || u[:5] != "2.25." {
		t.Errorf("uid = %q", u)
	}
}
