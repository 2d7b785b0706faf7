// Command myoseg segments the muscle cross-section in transverse muscle
// ultrasound images and measures it. With no arguments it serves the web app;
// the subcommands run the same core natively.
package main

import (
	"fmt"
	"io"
	"os"
)

// command is one subcommand of the native program. run gets the arguments
// after the subcommand's name and returns the process exit code.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "serve the web app (default)", runServe},
		{"segment", "segment and measure image files", runSegment},
		{"phantom", "write synthetic muscle ultrasound in the seed dataset's layout", runPhantom},
		{"batch", "segment many images or a dataset: resumable, sharded (--shard i/n)", runBatch},
		{"merge", "combine the outputs of batch shards into one results file", runMerge},
		{"eval", "score segmentations against expert masks and write the paper's analysis", runEval},
	}
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (len(args[0]) > 0 && args[0][0] == '-') {
		return runServe(args, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "myoseg: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: myoseg [command] [flags]")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}
