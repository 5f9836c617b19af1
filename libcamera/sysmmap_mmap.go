//go:build linux && !(arm || 386 || mips || mipsle)

package libcamera

import "syscall"

// sysMmap is mmap(2) with an address, which syscall.Mmap does not take.
const sysMmap = syscall.SYS_MMAP
