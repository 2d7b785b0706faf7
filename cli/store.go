package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"myoseg/core/pipeline"
)

// dirStore is an output folder on disk (batch.Store): files are written
// whole or not at all, under slash-separated names inside it.
type dirStore string

func (d dirStore) path(name string) string { return filepath.Join(string(d), filepath.FromSlash(name)) }

func (d dirStore) ReadFile(name string) ([]byte, error) { return os.ReadFile(d.path(name)) }

func (d dirStore) WriteFile(name string, data []byte) error {
	p := d.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(p, data)
}

func (d dirStore) Exists(name string) (bool, error) {
	_, err := os.Stat(d.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// clearStale removes the temporary files a killed run left behind
// (writeFileAtomic's ".NAME.tmp-*"), but only those of outputs this run
// owns: another shard may be writing into the same folder.
func (d dirStore) clearStale(owned map[string]bool) error {
	err := filepath.WalkDir(string(d), func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		name := e.Name()
		i := strings.LastIndex(name, ".tmp-")
		if !strings.HasPrefix(name, ".") || i < 1 {
			return nil
		}
		rel, err := filepath.Rel(string(d), filepath.Join(filepath.Dir(p), name[1:i]))
		if err == nil && owned[filepath.ToSlash(rel)] {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("clear temporary files in %s: %w", string(d), err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it into place, so a killed run never leaves a half-written file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		if tmp != "" {
			os.Remove(tmp)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteAll writes a set of files that belong together (one image's mask,
// overlay and record; a report) all or nothing: each to a temporary name
// beside its target, synced, then all renamed into place. On any error the
// temporary files and the files already renamed are removed, so a full disk
// never leaves a mask without its record.
func (d dirStore) WriteAll(files []pipeline.File) error {
	temps := make([]string, 0, len(files))
	undo := func(renamed int) {
		for i, t := range temps {
			if i < renamed {
				os.Remove(d.path(files[i].Name))
			} else {
				os.Remove(t)
			}
		}
	}
	for _, f := range files {
		p := d.path(f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			undo(0)
			return err
		}
		tmp, err := writeTemp(p, f.Data)
		if err != nil {
			if tmp != "" {
				os.Remove(tmp)
			}
			undo(0)
			return fmt.Errorf("write %s: %w", p, err)
		}
		temps = append(temps, tmp)
	}
	for i, f := range files {
		if err := os.Rename(temps[i], d.path(f.Name)); err != nil {
			undo(i)
			return fmt.Errorf("write %s: %w", d.path(f.Name), err)
		}
	}
	return nil
}

// tempFile is what writing a temporary file needs; tests inject failures
// through createTemp.
type tempFile interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// createTemp creates a new file beside path named ".BASE.tmp-N" (the names
// clearStale removes). Its mode is 0666 less the umask, as os.Create gives:
// os.CreateTemp's 0600 would leave results unreadable to colleagues sharing
// the output folder.
var createTemp = func(path string) (tempFile, error) {
	dir, base := filepath.Split(path)
	for {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return f, nil
	}
}

// writeTemp writes data, synced, to a new temporary file beside path and
// returns its name ("" when none was created).
func writeTemp(path string, data []byte) (string, error) {
	f, err := createTemp(path)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
}
