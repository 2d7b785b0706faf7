// Package cli is the native command line: one file per subcommand, the
// flags they share (flags.go), and Run, the one place that prints a
// command's error and turns it into the exit code. The static server is
// the default command; it lives beside main and is passed in.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes.
const (
	ExitOK          = 0
	ExitFailed      = 1   // some inputs failed, or the command could not finish
	ExitUsage       = 2   // bad arguments, unusable inputs, model or output folder
	ExitIncomplete  = 3   // merge: shards missing, duplicated or inconsistent
	ExitInterrupted = 130 // stopped by a signal; rerun the same command to finish
)

// ExitError is an error with an exit code other than ExitFailed. A nil Err
// means the command has already said what is wrong (a usage text).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Code is the error for an exit code that a command returned after
// reporting it itself (nil for ExitOK).
func Code(code int) error {
	if code == ExitOK {
		return nil
	}
	return &ExitError{Code: code}
}

// usageError is a bad argument: exit 2 with its message.
func usageError(format string, a ...any) error {
	return &ExitError{ExitUsage, fmt.Errorf(format, a...)}
}

// asUsage marks err (when not nil) as a usage or setup error.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{ExitUsage, err}
}

// Command is one subcommand. Run gets the arguments after the command's
// name and returns nil, or an error for Run to print (an *ExitError for an
// exit code other than 1; flag.ErrHelp after -h).
type Command struct {
	Name    string
	Summary string
	Run     func(args []string, stdout, stderr io.Writer) error
}

func commands(serve Command) []Command {
	return []Command{
		serve,
		{"segment", "segment and measure image files", runSegment},
		{"phantom", "write synthetic muscle ultrasound in the seed dataset's layout", runPhantom},
		{"realism", "compare phantoms with real scans: image statistics, patch classifier, figure", runRealism},
		{"batch", "segment many images or a dataset: resumable, sharded (--shard i/n)", runBatch},
		{"merge", "combine the outputs of batch shards into one results file", runMerge},
		{"eval", "score segmentations against expert masks and write the paper's analysis", runEval},
		{"adapt", "fine-tune a model on corrected images (held-out patients must improve)", runAdapt},
	}
}

// Run runs the command line args (without the program's name) and returns
// the process's exit code. serve is the default command, run when args are
// empty or start with a flag.
func Run(args []string, stdout, stderr io.Writer, serve Command) int {
	cmds := commands(serve)
	name := serve.Name
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		usage(stdout, cmds)
		return ExitOK
	}
	for _, c := range cmds {
		if c.Name == name && c.Run != nil {
			return exitCode(stderr, name, c.Run(args, stdout, stderr))
		}
	}
	fmt.Fprintf(stderr, "myoseg: unknown command %q\n", name)
	usage(stderr, cmds)
	return ExitUsage
}

// exitCode prints err as "myoseg NAME: …" and returns its exit code.
func exitCode(stderr io.Writer, name string, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	code := ExitFailed
	var ee *ExitError
	if errors.As(err, &ee) {
		code = ee.Code
		if ee.Err == nil {
			return code
		}
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, name+":") { // core errors may already name the step ("merge: …")
		msg = name + ": " + msg
	}
	fmt.Fprintln(stderr, "myoseg", msg)
	return code
}

func usage(w io.Writer, cmds []Command) {
	fmt.Fprintln(w, "usage: myoseg [command] [flags]")
	for _, c := range cmds {
		if c.Run != nil {
			fmt.Fprintf(w, "  %-8s %s\n", c.Name, c.Summary)
		}
	}
}
