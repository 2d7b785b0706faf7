//go:build unix

package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Output-folder locks. Two batch runs writing one folder with different
// options would each leave records the other's results.csv contradicts, so
// a run holds an exclusive lock on the folder for its whole life: the file
// .myoseg.lock (a shard: .myoseg.shard-I-of-N.lock, since shards of one run
// share the folder by design) held with flock(2), holding the holder's PID,
// host and start time for the refusal message. The kernel drops the lock
// when the holder dies, however it dies, so a later run takes it over
// without anyone removing a stale file; the file itself stays (empty once
// released) because unlinking a lock file races with the next opener.

// lockName is the lock file of a run: the whole run, or one shard.
func lockName(shard string) string {
	if shard == "" {
		return ".myoseg.lock"
	}
	return ".myoseg.shard-" + strings.ReplaceAll(shard, "/", "-of-") + ".lock"
}

// folderLock is a held lock; Release gives it up.
type folderLock struct{ f *os.File }

// lockFolder takes dir's lock for a whole run (shard "") or a shard ("i/n"),
// refusing with the holder's PID and host while another run holds it, and
// a shard while the whole folder is locked (and the other way round).
func lockFolder(dir, shard, command string) (*folderLock, error) {
	l, err := lockFile(filepath.Join(dir, lockName(shard)), command)
	if err != nil {
		return nil, err
	}
	// A whole run and a shard run exclude each other: probe the others.
	others := []string{lockName("")}
	if shard == "" {
		others, _ = filepath.Glob(filepath.Join(dir, ".myoseg.shard-*.lock"))
		for i, o := range others {
			others[i] = filepath.Base(o)
		}
	}
	for _, o := range others {
		if o == lockName(shard) {
			continue
		}
		if err := probeLock(filepath.Join(dir, o)); err != nil {
			l.Release()
			return nil, err
		}
	}
	return l, nil
}

// lockFile opens (creating) path and takes an exclusive flock on it without
// waiting, then writes who holds it.
func lockFile(path, command string) (*folderLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, heldError(path, holder)
		}
		if errors.Is(err, syscall.ENOLCK) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EOPNOTSUPP) {
			// A file system without locks (some network mounts): run
			// unlocked rather than not at all; the PID file still says who.
			f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
			if err != nil {
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
		} else {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
	}
	host, _ := os.Hostname()
	who := fmt.Sprintf("pid=%d host=%s started=%s command=%s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339), command)
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(who), 0)
	}
	return &folderLock{f}, nil
}

// probeLock fails when another process holds path's lock. It takes a
// shared lock, which an exclusive holder refuses but other probers do not:
// shards of one run starting together all probe the whole-run lock, and an
// exclusive probe made one of them see another's probe as a running run. It
// neither creates nor writes the file.
func probeLock(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // absent or unreadable: nobody holds it
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder, _ := os.ReadFile(path)
			return heldError(path, holder)
		}
		return nil // no locks on this file system: as lockFile, run unlocked
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return nil
}

// Release empties the lock file and drops the lock.
func (l *folderLock) Release() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Truncate(0)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}

// lockHeldError says who holds an output folder.
type lockHeldError struct {
	path, holder string
}

func heldError(path string, holder []byte) error {
	return &lockHeldError{path: path, holder: strings.TrimSpace(string(holder))}
}

func (e *lockHeldError) Error() string {
	who := "another run"
	if f := lockFields(e.holder); f["pid"] != "" {
		who = fmt.Sprintf("another run (PID %s on %s, %s since %s)", f["pid"], f["host"], f["command"], f["started"])
	}
	return fmt.Sprintf("%s is in use by %s: one run per output folder (lock %s); wait for it to finish or choose another --out",
		filepath.Dir(e.path), who, e.path)
}

func lockFields(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Fields(s) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
		}
	}
	return out
}
