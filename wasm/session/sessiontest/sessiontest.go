// Package sessiontest gives tests of the browser core a session as a
// worker opens one, on a fresh in-memory file system instead of IndexedDB.
package sessiontest

import (
	"testing"

	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/mem"

	"myoseg/wasm/session"
)

// New returns an empty session and the file system under it (for a test
// that reopens the same storage, as a reload or a second worker would).
func New(tb testing.TB) (*session.Store, hackpadfs.FS) {
	tb.Helper()
	fsys, err := mem.NewFS()
	if err != nil {
		tb.Fatal(err)
	}
	st, err := session.New(fsys)
	if err != nil {
		tb.Fatal(err)
	}
	return st, fsys
}
