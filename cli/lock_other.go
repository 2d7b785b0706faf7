//go:build !unix

package cli

// folderLock: without flock(2) there is no lock (the native CLI is built
// for unix systems only; this keeps other builds compiling).
type folderLock struct{}

func lockFolder(dir, shard, command string) (*folderLock, error) { return &folderLock{}, nil }

func (l *folderLock) Release() {}
