//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestShardLocksStartTogether: shards of one run starting at the same
// moment all probe the whole-run lock; one shard's probe in progress must
// not look like a running whole run to another, while a whole run and a
// shard still exclude each other.
func TestShardLocksStartTogether(t *testing.T) {
	dir := t.TempDir()
	// Shard 0's probe of the whole-run lock, caught in the middle.
	whole := filepath.Join(dir, lockName(""))
	if err := os.WriteFile(whole, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	probe, err := os.Open(whole)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	if err := syscall.Flock(int(probe.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	s1, err := lockFolder(dir, "1/3", "batch")
	if err != nil {
		t.Fatalf("shard 1 refused while shard 0 probes: %v", err)
	}
	syscall.Flock(int(probe.Fd()), syscall.LOCK_UN)
	if b, _ := os.ReadFile(whole); len(b) != 0 {
		t.Errorf("probing wrote %q into the whole-run lock", b)
	}
	if _, err := lockFolder(dir, "", "batch"); err == nil {
		t.Error("a whole run started while shard 1 runs")
	}
	s1.Release()
	w, err := lockFolder(dir, "", "batch")
	if err != nil {
		t.Fatalf("whole run refused after the shard ended: %v", err)
	}
	if _, err := lockFolder(dir, "2/3", "batch"); err == nil {
		t.Error("a shard started while the whole run runs")
	}
	w.Release()
}
