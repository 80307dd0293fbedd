package pctest

import "fmt"

// Recorder is a TB that records what a helper reports instead of failing
// a test, as httptest.ResponseRecorder records a response: for example
// code, and for tests of properties that must fail. Unlike testing.T's,
// its Fatalf returns; the helpers return at once after it.
type Recorder struct {
	Failed bool     // Fatalf was called
	Msg    string   // the first Fatalf's message
	Logs   []string // the Logf messages
}

// Helper does nothing.
func (r *Recorder) Helper() {}

// Fatalf records the failure; only the first message is kept.
func (r *Recorder) Fatalf(format string, args ...any) {
	if !r.Failed {
		r.Failed, r.Msg = true, fmt.Sprintf(format, args...)
	}
}

// Logf records a log message.
func (r *Recorder) Logf(format string, args ...any) {
	r.Logs = append(r.Logs, fmt.Sprintf(format, args...))
}
