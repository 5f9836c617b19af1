package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// checkWritable checks, before the camera starts, that a file can be
// created at path: its directory exists and is writable, and path is not
// a directory.
func checkWritable(path string) error {
	if path == "" {
		return usageErrorf("no output file (-o)")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usageErrorf("output %s is a directory", path)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return usageErrorf("output directory %s: %v", dir, unwrapPath(err))
	}
	if !fi.IsDir() {
		return usageErrorf("output directory %s is not a directory", dir)
	}
	if err := syscall.Access(dir, 2 /* W_OK */); err != nil {
		return usageErrorf("output directory %s is not writable: %v", dir, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		if err := syscall.Access(path, 2); err != nil {
			return usageErrorf("output %s is not writable: %v", path, err)
		}
	}
	return nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// numbered returns name with its counter (a %d verb, as rpicam-apps'
// "img%04d.jpg"), and whether name has exactly one such verb.
func numbered(name string, n int) (string, bool) {
	if strings.Count(name, "%")-2*strings.Count(name, "%%") != 1 {
		return name, false
	}
	s := fmt.Sprintf(name, n)
	if strings.Contains(s, "%!") {
		return name, false
	}
	return s, true
}
