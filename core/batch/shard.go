package batch

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Shard is one share of a run cut across machines: shard Index of Count
// (0 ≤ Index < Count, the numbering of Slurm array tasks and Kubernetes
// completion indexes). The zero value is the whole run.
type Shard struct{ Index, Count int }

// Whole reports whether s is the whole run (no sharding).
func (s Shard) Whole() bool { return s.Count <= 1 }

// Valid says what is wrong with s, if anything.
func (s Shard) Valid() error {
	if s.Count == 0 && s.Index == 0 {
		return nil
	}
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("batch: shard %d/%d: want i/n with 0 ≤ i < n", s.Index, s.Count)
	}
	return nil
}

// ParseShard reads "i/n" (e.g. "0/3").
func ParseShard(v string) (Shard, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(v), "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want i/n, e.g. 0/3 (0-based, as Slurm's SLURM_ARRAY_TASK_ID and Kubernetes' JOB_COMPLETION_INDEX)", v)
	}
	s := Shard{Index: i, Count: n}
	if err := s.Valid(); err != nil {
		return Shard{}, fmt.Errorf("shard %q: want 0 ≤ i < n", v)
	}
	return s, nil
}

// String is "i/n", or "0/1" for the whole run.
func (s Shard) String() string {
	if s.Whole() {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Of returns the shard (0 ≤ result < n) that owns key: a hash of the key,
// so a share depends only on the input's relative path, never on the order
// or number of the other inputs.
func Of(key string, n int) int {
	if n <= 1 {
		return 0
	}
	sum := sha256.Sum256([]byte(key))
	return int(binary.BigEndian.Uint64(sum[:8]) % uint64(n))
}

// Owns reports whether key belongs to shard s.
func (s Shard) Owns(key string) bool { return s.Whole() || Of(key, s.Count) == s.Index }

// suffix marks the summary files of a shard: "" for a whole run,
// ".shard-1-of-3" for shard 1 of 3.
func (s Shard) suffix() string {
	if s.Whole() {
		return ""
	}
	return fmt.Sprintf(".shard-%d-of-%d", s.Index, s.Count)
}
