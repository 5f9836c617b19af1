package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// A command is one of picamgo's subcommands.
type command struct {
	name    string
	summary string
	// run parses args (the words after the subcommand's name) and does the
	// work; its error decides the exit code (exitCode).
	run func(args []string, out *console) error
}

var commands = []command{
	{"list", "the cameras: model, location, id, modes and controls with their limits", runList},
	{"still", "save a JPEG or PNG (after a delay, or a numbered series with --timelapse)", runStill},
	{"vid", "record H.264, MJPEG or YUV420 to a file, stdout or TCP clients", runVid},
	{"serve", "a live view web page (MJPEG) with the frame rate", runServe},
	{"bench", "frames/s and CPU per frame of the capture loop", runBench},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without os.Exit: it picks the subcommand and returns the exit
// code.
func run(args []string, stdout, stderr *os.File) int {
	out := newConsole(stdout, stderr)
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := lookup(args[1]); ok {
				c.run([]string{"-h"}, out)
				return exitOK
			}
		}
		usage(stdout)
		return exitOK
	}
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "picamgo: unknown command %q\n\n", name)
		usage(stderr)
		return exitUsage
	}
	err := c.run(args[1:], out)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	code := exitCode(err)
	if err != nil && !errors.Is(err, errInterrupted) {
		out.errorf("picamgo %s: %v", name, err)
	}
	return code
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("picamgo: cameras through libcamera, from the command line\n\n")
	b.WriteString("Usage: picamgo COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-6s %s\n", c.name, c.summary)
	}
	b.WriteString("\n`picamgo help COMMAND` or `picamgo COMMAND -h` lists a command's flags.\n\n")
	b.WriteString(exitCodesHelp)
	io.WriteString(w, b.String())
}
