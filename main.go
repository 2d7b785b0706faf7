// Command myoseg segments the muscle cross-section in transverse muscle
// ultrasound images and measures it. With no arguments it serves the web
// app (server.go); the subcommands (package cli) run the same core natively.
package main

import (
	"io"
	"os"

	"myoseg/cli"
)

func main() {
	serve := cli.Command{Name: "serve", Summary: "serve the web app (default)",
		Run: func(args []string, stdout, stderr io.Writer) error { return cli.Code(runServe(args, stdout, stderr)) }}
	os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr, serve))
}
