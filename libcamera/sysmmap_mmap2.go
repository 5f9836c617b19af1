//go:build linux && (arm || 386 || mips || mipsle)

package libcamera

import "syscall"

// sysMmap is mmap(2) with an address: the 32-bit ABIs have it as mmap2,
// whose offset counts pages (the offset here is always 0).
const sysMmap = syscall.SYS_MMAP2
