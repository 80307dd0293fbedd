// Command busy keeps one CPU busy for a share of each period, as other
// work on the machine would: bench/spin/load.sh runs the parallel
// search beside it (issue #18: two workers faster than one on a machine
// with other load too).
//
//	busy -duty 0.5 -period 10ms   busy 5 ms of each 10 ms, asleep the rest
//	busy -duty 1                  busy all the time (as `yes > /dev/null`)
//
// It runs until it is killed.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	duty := flag.Float64("duty", 0.5, "share of each period spent busy (0 to 1)")
	period := flag.Duration("period", 10*time.Millisecond, "the period")
	flag.Parse()
	if flag.NArg() > 0 || *duty < 0 || *duty > 1 || *period <= 0 {
		fmt.Fprintln(os.Stderr, "usage: busy [-duty 0..1] [-period d]")
		os.Exit(2)
	}
	on := time.Duration(*duty * float64(*period))
	x := uint64(1)
	for {
		start := time.Now()
		for time.Since(start) < on {
			for i := 0; i < 1000; i++ { // work between clock reads
				x = x*6364136223846793005 + 1442695040888963407
			}
		}
		if off := *period - on; off > 0 {
			time.Sleep(off)
		}
		if x == 0 { // keeps the loop's work
			fmt.Println(x)
		}
	}
}
