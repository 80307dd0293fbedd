package budget

import (
	"context"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "off": 0, "512M": 512 << 20, "8G": 8 << 30, "8GiB": 8 << 30, "1.5k": 1536, "100": 100} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1G", "lots", "1X"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

// TestStop checks each reason: a cancelled context, a deadline, and a
// growth that would pass the memory limit.
func TestStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := Start(ctx, 0, 0)
	defer b.Close()
	for b.Stop(0) == "" {
		time.Sleep(time.Millisecond)
	}
	if b.Stop(0) != Interrupted {
		t.Errorf("cancelled: %q", b.Stop(0))
	}
	b2 := Start(context.Background(), time.Millisecond, 0)
	defer b2.Close()
	for b2.Stop(0) == "" {
		time.Sleep(time.Millisecond)
	}
	if b2.Stop(0) != Timeout {
		t.Errorf("deadline: %q", b2.Stop(0))
	}
	b3 := Start(context.Background(), 0, 1<<40)
	defer b3.Close()
	if b3.Stop(0) != "" || b3.Stop(1<<41) != Memory {
		t.Errorf("memory: %q", b3.Stop(0))
	}
}
