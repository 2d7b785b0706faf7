package startup

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestBeginEnd(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	Begin()
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Fatalf("after Begin, GC percent %d, want -1 (off)", p)
	}
	if l := debug.SetMemoryLimit(-1); l != Limit {
		t.Fatalf("after Begin, memory limit %d, want %d", l, Limit)
	}
	End()
	if p := debug.SetGCPercent(-1); p != 100 {
		t.Fatalf("after End, GC percent %d, want 100", p)
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Fatalf("after End, memory limit %d, want none", l)
	}
	debug.SetGCPercent(7)
	End() // a second End leaves the setting alone
	if p := debug.SetGCPercent(-1); p != 7 {
		t.Fatalf("a second End changed the GC percent to %d", p)
	}
}
