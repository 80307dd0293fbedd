package model

import (
	"testing"
	"time"
)

// TestHelpShare: the helpers sit out after one low window until a full
// one came (at a search's start, whose first window is not counted, and
// after a pause), then after two low windows of three; each low window
// after a pause doubles it up to pauseMax, and a window between low and
// full keeps the length for the next.
func TestHelpShare(t *testing.T) {
	t0 := time.Unix(0, 0)
	type step struct {
		share float64
		pause time.Duration // h.pause after the window
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"first window not counted", []step{{0.1, 0}, {0.1, pauseMin}}},
		{"untrusted at the start", []step{{1, 0}, {0.5, pauseMin}, {0.9, 0}}},
		{"idle with dips", []step{{0.9, 0}, {1, 0}, {0.2, 0}, {1, 0}, {1, 0}, {0.3, 0}, {1, 0}, {0.9, 0}, {0.1, 0}, {1, 0}}},
		{"busy", []step{{0.8, 0}, {0.9, 0}, {0.5, 0}, {0.9, 0}, {0.4, pauseMin}, {0.3, 2 * pauseMin}, {0.6, 4 * pauseMin}}},
		{"in between keeps the pause", []step{{1, 0}, {0.1, pauseMin}, {0.8, pauseMin}, {0.2, 2 * pauseMin}}},
		{"full window ends it", []step{{1, 0}, {0.1, pauseMin}, {0.9, 0}, {0.1, 0}, {0.9, 0}, {0.9, 0}, {0.1, 0}, {0.2, pauseMin}}},
		{"capped", []step{{1, 0}, {0.1, pauseMin}, {0.1, 20 * time.Millisecond}, {0.1, 40 * time.Millisecond},
			{0.1, 80 * time.Millisecond}, {0.1, 160 * time.Millisecond}, {0.1, 320 * time.Millisecond}, {0.1, pauseMax}, {0.1, pauseMax}}},
	}
	for _, tt := range tests {
		var h helpShare
		now := t0
		var last time.Duration
		for i, st := range tt.steps {
			if !h.join(i, now, 0) {
				t.Fatalf("%s: window %d: the helpers sit out before it", tt.name, i)
			}
			now = now.Add(shareWindow)
			h.decide(st.share, now)
			if h.pause != st.pause {
				t.Fatalf("%s: window %d (share %.1f): pause %v, want %v", tt.name, i, st.share, h.pause, st.pause)
			}
			// A new pause: the helpers sit it out. A window in between
			// keeps the pause's length for the next low one, without one.
			if st.pause != last && st.pause > 0 {
				if h.join(i, now.Add(st.pause-time.Nanosecond), 0) {
					t.Fatalf("%s: window %d: the helpers join during the pause", tt.name, i)
				}
				now = now.Add(st.pause)
			}
			last = st.pause
		}
	}
}
