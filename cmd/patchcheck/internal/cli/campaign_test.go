package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// campaignRun is one in-process campaign.
func campaignRun(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code, err := runCampaign(ctx, append([]string{"-q"}, args...), &out, &errb)
	if err != nil {
		errb.WriteString("error: " + err.Error() + "\n")
	}
	return result{code, out.String(), errb.String()}
}

func readCampaignState(t *testing.T, dir string) *campaignState {
	t.Helper()
	st, err := readState(filepath.Join(dir, "campaign.json"))
	if err != nil || st == nil {
		t.Fatalf("campaign.json: %v %v", st, err)
	}
	return st
}

// cexIDs lists the counterexample IDs in dir, checking that each has its
// .json and .txt and no temporary file is left.
func cexIDs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, ".tmp-"):
			t.Errorf("temporary file left: %s", name)
		case strings.HasSuffix(name, ".json") && strings.HasPrefix(name, "PC-"):
			id := strings.TrimSuffix(name, ".json")
			if _, err := os.Stat(filepath.Join(dir, id+".txt")); err != nil {
				t.Errorf("%s without its .txt", name)
			}
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// badArgs is a short campaign over bad variants whose scenarios check in
// milliseconds.
var badArgs = []string{"-seed", "3", "-variants", "plain-write,no-sync1,no-sync2,no-sync3,tramp-only", "-lifecycle", "never", "-states", "30000"}

// TestCampaignFindsBadVariants: a short campaign over bad variants finds
// violations and writes each as a replayable .json with its .txt.
func TestCampaignFindsBadVariants(t *testing.T) {
	dir := t.TempDir()
	r := campaignRun(t, context.Background(), append(badArgs, "-count", "16", "-out", dir)...)
	if r.code != 0 || !strings.Contains(r.stdout, "starting seed 3") {
		t.Fatalf("want exit 0 (no kernel variant), got %v", r)
	}
	st := readCampaignState(t, dir)
	if st.Scenarios != 16 || st.Next != 16 || st.Violations == 0 {
		t.Fatalf("state: %d scenarios, next %d, %d violations", st.Scenarios, st.Next, st.Violations)
	}
	ids := cexIDs(t, dir)
	if len(ids) == 0 || len(ids) != len(st.IDs) {
		t.Fatalf("%d counterexample files, state records %d", len(ids), len(st.IDs))
	}
	for _, id := range ids[:min(3, len(ids))] {
		if rr := runCLI(t, "replay", filepath.Join(dir, id+".json")); rr.code != 0 || !strings.Contains(rr.stdout, "reproduced") {
			t.Errorf("replay %s: %v", id, rr)
		}
		txt, _ := os.ReadFile(filepath.Join(dir, id+".txt"))
		if !strings.Contains(string(txt), "ID:       "+id) || !strings.Contains(string(txt), "patchcheck replay "+filepath.Join(dir, id+".json")) {
			t.Errorf("%s.txt is not its mail text:\n%s", id, txt)
		}
	}
}

// TestCampaignArm64: a campaign of arm64 scenarios finds the known-bad
// arm64 variants and nothing in arm64's mainline protocol.
func TestCampaignArm64(t *testing.T) {
	dir := t.TempDir()
	r := campaignRun(t, context.Background(), "-arch", "arm64", "-seed", "1", "-variants", "kernel,branch-nosync,v5-literal-if-nop",
		"-states", "30000", "-count", "12", "-out", dir)
	if r.code != 0 {
		t.Fatalf("want exit 0 (nothing in arm64's mainline protocol), got %v", r)
	}
	st := readCampaignState(t, dir)
	if st.Arch != "arm64" || st.Violations == 0 || st.PerVariant["kernel"] == nil || st.PerVariant["kernel"].Violations != 0 {
		t.Fatalf("state: arch %s, %d violations, per variant %v", st.Arch, st.Violations, st.PerVariant)
	}
}

// TestCampaignResume: a campaign interrupted (its context cancelled) and
// rerun with the same -out continues at the next index, keeps every
// counterexample of the first run, and ends with what an uninterrupted
// campaign finds.
func TestCampaignResume(t *testing.T) {
	const count = "24"
	whole := t.TempDir()
	if r := campaignRun(t, context.Background(), append(badArgs, "-count", count, "-out", whole)...); r.code != 0 {
		t.Fatalf("uninterrupted: %v", r)
	}
	want := readCampaignState(t, whole)

	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Kill it once a few scenarios are committed.
		for ctx.Err() == nil {
			if st, _ := readState(filepath.Join(dir, "campaign.json")); st != nil && st.Scenarios >= 4 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	r := campaignRun(t, ctx, append(badArgs, "-count", count, "-workers", "2", "-out", dir)...)
	cancel()
	if r.code != exitInconclusive || !strings.Contains(r.stdout, "STOPPED: interrupted") {
		t.Fatalf("interrupted run: %v", r)
	}
	first := readCampaignState(t, dir)
	firstIDs := cexIDs(t, dir)
	if first.Scenarios < 4 || first.Scenarios >= want.Scenarios || first.Next != uint64(first.Scenarios) {
		t.Fatalf("interrupted run: %d scenarios, next %d (the whole campaign has %d)", first.Scenarios, first.Next, want.Scenarios)
	}
	for _, id := range first.IDs {
		if !slices.Contains(firstIDs, id) {
			t.Errorf("state records %s, no file", id)
		}
	}

	r = campaignRun(t, context.Background(), "-out", dir) // resumes: seed, variants... from campaign.json
	if r.code != 0 || !strings.Contains(r.stdout, "resuming seed 3") {
		t.Fatalf("resumed run: %v", r)
	}
	if !strings.Contains(r.stdout, "at scenario "+itoa(first.Next)) {
		t.Errorf("resumed run does not continue at %d:\n%s", first.Next, r.stdout)
	}
	got := readCampaignState(t, dir)
	ids := cexIDs(t, dir)
	for _, id := range firstIDs {
		if !slices.Contains(ids, id) {
			t.Errorf("counterexample %s of the first run lost", id)
		}
	}
	if got.Scenarios != want.Scenarios || got.Next != want.Next || got.TotalStates != want.TotalStates || got.Violations != want.Violations {
		t.Errorf("resumed campaign: %d scenarios, next %d, %d states, %d violations; uninterrupted: %d, %d, %d, %d",
			got.Scenarios, got.Next, got.TotalStates, got.Violations, want.Scenarios, want.Next, want.TotalStates, want.Violations)
	}
	if wantIDs := cexIDs(t, whole); !slices.Equal(ids, wantIDs) {
		t.Errorf("resumed campaign found %v, uninterrupted %v", ids, wantIDs)
	}
}

func itoa(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// TestCampaignShards: shards 0/3, 1/3 and 2/3 check the scenarios of 1/1
// between them: the same number, the same counterexamples, and copying
// their files together is the merge.
func TestCampaignShards(t *testing.T) {
	const count = "18"
	one := t.TempDir()
	if r := campaignRun(t, context.Background(), append(badArgs, "-count", count, "-out", one, "-workers", "1")...); r.code != 0 {
		t.Fatalf("1/1: %v", r)
	}
	all := readCampaignState(t, one)
	merged := t.TempDir()
	var scenarios, states int64
	for i, shard := range []string{"0/3", "1/3", "2/3"} {
		dir := t.TempDir()
		if r := campaignRun(t, context.Background(), append(badArgs, "-count", count, "-out", dir, "-shard", shard)...); r.code != 0 {
			t.Fatalf("%s: %v", shard, r)
		}
		st := readCampaignState(t, dir)
		if st.Scenarios != 6 || st.Next != uint64(18+i) {
			t.Errorf("shard %s: %d scenarios, next %d", shard, st.Scenarios, st.Next)
		}
		scenarios += st.Scenarios
		states += st.TotalStates
		files, _ := filepath.Glob(filepath.Join(dir, "PC-*"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			os.WriteFile(filepath.Join(merged, filepath.Base(f)), b, 0o644)
		}
	}
	if scenarios != all.Scenarios || states != all.TotalStates {
		t.Errorf("shards: %d scenarios, %d states; 1/1: %d, %d", scenarios, states, all.Scenarios, all.TotalStates)
	}
	if got, want := cexIDs(t, merged), cexIDs(t, one); !slices.Equal(got, want) {
		t.Errorf("merged shards found %v, 1/1 %v", got, want)
	}
}

// TestCampaignKernelViolationExit1: a violation of the kernel's protocol
// makes the campaign exit 1 and print its ID. The concurrent lifecycle
// reaches the documented finding (docs/semantics.md §8).
func TestCampaignKernelViolationExit1(t *testing.T) {
	dir := t.TempDir()
	r := campaignRun(t, context.Background(), "-seed", "1", "-variants", "kernel", "-lifecycle", "concurrent", "-fetch", "byte", "-states", "30000", "-count", "12", "-out", dir)
	st := readCampaignState(t, dir)
	if r.code != 1 || len(st.KernelIDs) == 0 || !strings.Contains(r.stdout, "VIOLATION OF THE KERNEL'S PROTOCOL") ||
		!strings.Contains(r.stdout, st.KernelIDs[0]) {
		t.Fatalf("want exit 1 naming the kernel's counterexample, got %v", r)
	}
	// Rerunning the finished campaign still reports it.
	if r := campaignRun(t, context.Background(), "-out", dir); r.code != 1 {
		t.Errorf("rerun: %v", r)
	}
}

// TestCampaignBadFlags: bad flags exit 2 with a message, as does resuming
// a campaign with different parameters.
func TestCampaignBadFlags(t *testing.T) {
	dir := t.TempDir()
	if r := campaignRun(t, context.Background(), append(badArgs, "-count", "2", "-out", dir)...); r.code != 0 {
		t.Fatalf("%v", r)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-shard", "3/3"}, "-shard"},
		{[]string{"-shard", "x"}, "-shard"},
		{[]string{"-variants", "nope"}, `unknown variant "nope"`},
		{[]string{"-lifecycle", "sometimes"}, "unknown lifecycle"},
		{[]string{"-mode", "quick"}, "-mode"},
		{[]string{"-fetch", "aligned8"}, "-fetch"},
		{[]string{"-arch", "mips"}, "-arch"},
		{[]string{"-arch", "arm64", "-fetch", "byte"}, "-fetch"},
		{[]string{"-arch", "arm64", "-lifecycle", "ordered"}, "arm64 models no init text"},
		{[]string{"-workers", "0"}, "-workers"},
		{[]string{"-duration", "-1s"}, "must not be negative"},
		{[]string{"-count", "x"}, "invalid value"},
		{[]string{"extra"}, "no arguments"},
		{[]string{"-seed", "4", "-out", dir}, "-seed differ"},
		{[]string{"-variants", "kernel", "-out", dir}, "-variants differ"},
	} {
		args := c.args
		if !slices.Contains(args, "-out") {
			args = append(args, "-out", t.TempDir())
		}
		r := campaignRun(t, context.Background(), args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: want exit 2 with %q, got %v", c.args, c.want, r)
		}
	}
	if r := runCLI(t, "campaign", "-shard", "1/0"); r.code != 2 {
		t.Errorf("patchcheck campaign -shard 1/0: %v", r)
	}
}

// TestCampaignWorkersSameResult: the number of workers changes nothing
// but the time.
func TestCampaignWorkersSameResult(t *testing.T) {
	var states [2]*campaignState
	var ids [2][]string
	for i, w := range []string{"1", "3"} {
		dir := t.TempDir()
		if r := campaignRun(t, context.Background(), append(badArgs, "-count", "10", "-workers", w, "-mode", "mixed", "-out", dir)...); r.code != 0 {
			t.Fatalf("%v", r)
		}
		states[i], ids[i] = readCampaignState(t, dir), cexIDs(t, dir)
	}
	if states[0].TotalStates != states[1].TotalStates || !slices.Equal(ids[0], ids[1]) || !slices.Equal(states[0].IDs, states[1].IDs) {
		t.Errorf("1 worker: %d states, %v; 3 workers: %d states, %v", states[0].TotalStates, states[0].IDs, states[1].TotalStates, states[1].IDs)
	}
}

// TestParseShard covers the -shard syntax.
func TestParseShard(t *testing.T) {
	for s, ok := range map[string]bool{"0/1": true, "2/3": true, "3/3": false, "-1/2": false, "1": false, "a/b": false, "0/0": false} {
		if _, _, err := parseShard(s); (err == nil) != ok {
			t.Errorf("parseShard(%q): %v", s, err)
		}
	}
}
