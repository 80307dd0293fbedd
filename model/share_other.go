//go:build !linux

package model

import "time"

// threadCPU reports that the thread's CPU time cannot be read here: the
// helpers of a parallel search join every level (helpShare).
func threadCPU() (tid int, cpu time.Duration, ok bool) { return 0, 0, false }

// cpuLoad is the machine's runnable threads against its CPUs; not read
// here.
type cpuLoad struct{}

func openCPULoad() *cpuLoad          { return nil }
func (l *cpuLoad) busy(own int) bool { return false }
func (l *cpuLoad) idle() bool        { return false }
func (l *cpuLoad) close()            {}
