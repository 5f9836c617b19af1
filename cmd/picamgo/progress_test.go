package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the master to read, the slave for the
// program's stderr.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// TestProgress: on a terminal, vid redraws a progress line (elapsed,
// frames, frames/s, dropped, file size); into a pipe it prints plain
// lines only; with -q nothing.
func TestProgress(t *testing.T) {
	dir := t.TempDir()
	master, slave := openPTY(t)
	defer master.Close()
	cmd := picamgoCmd(context.Background(), "vid", "--frames", "60", "-o", "a.mp4")
	cmd.Dir = dir
	cmd.Stderr = slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var tty bytes.Buffer
	_, err := io.Copy(&tty, master) // until the program closes the terminal: EIO
	if err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v:\n%s", err, tty.String())
	}
	t.Logf("terminal:\n%q", tty.String())
	// 60 paced frames take two seconds: the line is redrawn every 250 ms.
	redraws := strings.Count(tty.String(), "\r\033[K")
	if redraws < 2 {
		t.Fatalf("%d progress redraws, want several", redraws)
	}
	for _, want := range []string{"frames/s", "dropped", "kB", "0:0"} {
		if !strings.Contains(tty.String(), want) {
			t.Errorf("the progress line has no %q", want)
		}
	}

	r := mustRun(t, dir, "vid", "--frames", "60", "-o", "b.mp4")
	if strings.Contains(r.stderr, "\r") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("into a pipe: %q, want one plain summary line", r.stderr)
	}
	r = mustRun(t, dir, "vid", "--frames", "10", "-q", "-o", "c.mp4")
	if r.stderr != "" || r.stdout != "" {
		t.Errorf("-q printed %q %q", r.stdout, r.stderr)
	}
	if p := ffprobe(t, filepath.Join(dir, "c.mp4")); p.frames != 10 {
		t.Errorf("-q: %+v", p)
	}
}

// TestCircularEnter: with stdin a terminal, Enter saves the circular
// buffer (SIGUSR1 does it elsewhere; TestVidCircular).
func TestCircularEnter(t *testing.T) {
	dir := t.TempDir()
	master, slave := openPTY(t)
	defer master.Close()
	cmd := picamgoCmd(context.Background(), "vid", "-t", "0", "--circular", "1", "--intra", "10", "-o", "event%d.mp4")
	cmd.Dir = dir
	cmd.Stdin = slave
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	go io.Copy(io.Discard, master) // the terminal's echo
	// Two events: Enter, a frame later Enter again (a new numbered file),
	// then Ctrl-C once the second file grows.
	first := filepath.Join(dir, "event0.mp4")
	second := filepath.Join(dir, "event1.mp4")
	for _, path := range []string{first, second} {
		if _, err := master.Write([]byte("\n")); err != nil {
			t.Fatal(err)
		}
		waitGrowing(t, nil, path, 10_000)
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v:\n%s", err, stderr.String())
	}
	t.Logf("stderr:\n%s", stderr.String())
	if !strings.Contains(stderr.String(), "or press Enter") || strings.Count(stderr.String(), "Enter: saving") != 2 {
		t.Errorf("stderr does not show two saves on Enter:\n%s", stderr.String())
	}
	for _, path := range []string{first, second} {
		if p := ffprobe(t, path); p.codec != "h264" || p.frames < 2 {
			t.Errorf("%s: %+v", path, p)
		}
	}
}
