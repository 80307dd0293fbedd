package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/pctest"
)

func TestCampaignShardFromEnv(t *testing.T) {
	for _, tc := range []struct {
		index, shards, flag string
		code                int
		want                string // shard i/n, or a text of the error
	}{
		{"1", "2", "", 0, "1/2"},
		{"", "", "", 0, "0/1"},
		{"", "3", "", 0, "0/1"},
		{"0", "2", "1/2", 0, "1/2"}, // -shard wins
		{"1", "", "", 2, "PATCHCHECK_SHARDS is not set"},
		{"2", "2", "", 2, "want 0 <= index < shards"},
		{"x", "2", "", 2, "want 0 <= index < shards"},
		{"-1", "2", "", 2, "want 0 <= index < shards"},
	} {
		t.Run(tc.index+"/"+tc.shards+"/"+tc.flag, func(t *testing.T) {
			t.Setenv(envShardIndex, tc.index)
			t.Setenv(envShards, tc.shards)
			dir := t.TempDir()
			args := []string{"-count", "2", "-seed", "1", "-workers", "1", "-states", "2000", "-out", dir}
			if tc.flag != "" {
				args = append(args, "-shard", tc.flag)
			}
			r := campaignRun(t, context.Background(), args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%v", r.code, tc.code, r)
			}
			if tc.code != 0 {
				if !strings.Contains(r.stderr, tc.want) {
					t.Errorf("stderr lacks %q:\n%v", tc.want, r)
				}
				return
			}
			st := readCampaignState(t, dir)
			if got := itoa(uint64(st.Shard)) + "/" + itoa(uint64(st.Shards)); got != tc.want {
				t.Errorf("shard %s, want %s", got, tc.want)
			}
		})
	}
}

func cli(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// TestCampaignMergeReport: a 2-shard campaign merged, then reported: the
// merged figures are the shards' sums, the buckets partition the
// counterexamples, each bucket's shortest is its shortest, files are
// readable by all, and each bucket's scenario file replays (pctest).
func TestCampaignMergeReport(t *testing.T) {
	root := t.TempDir()
	var shards []string
	var all []string
	for i := range 2 {
		dir := filepath.Join(root, "shard"+itoa(uint64(i)))
		r := campaignRun(t, context.Background(), "-count", "24", "-seed", "7", "-variants", "bad", "-lifecycle", "never",
			"-workers", "1", "-states", "20000", "-shard", itoa(uint64(i))+"/2", "-out", dir)
		if r.code != 0 {
			t.Fatalf("shard %d: %v", i, r)
		}
		shards = append(shards, dir)
		all = append(all, cexIDs(t, dir)...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	if len(all) < 3 {
		t.Fatalf("only %d counterexamples: the test needs a few", len(all))
	}
	merged := filepath.Join(root, "merged")
	r := cli(t, append([]string{"campaign", "merge", "-out", merged}, shards...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "2 of 2 shards") {
		t.Fatalf("merge: %v", r)
	}
	var m mergedState
	b, err := os.ReadFile(filepath.Join(merged, "merged.json"))
	if err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("merged.json: %v", err)
	}
	s0, s1 := readCampaignState(t, shards[0]), readCampaignState(t, shards[1])
	if m.Scenarios != s0.Scenarios+s1.Scenarios || m.Scenarios != 24 || m.Violations != s0.Violations+s1.Violations ||
		!slices.Equal(m.IDs, all) || len(m.Missing) != 0 {
		t.Errorf("merged figures: %d scenarios, %d violations, ids %v missing %v; shards %d+%d, %d+%d, ids %v",
			m.Scenarios, m.Violations, m.IDs, m.Missing, s0.Scenarios, s1.Scenarios, s0.Violations, s1.Violations, all)
	}
	if got := cexIDs(t, merged); !slices.Equal(got, all) {
		t.Errorf("merged files %v, want %v", got, all)
	}
	// Merging again changes nothing.
	if r := cli(t, append([]string{"campaign", "merge", "-out", merged}, shards...)...); r.code != 0 || !strings.Contains(r.stdout, "(0 files copied)") {
		t.Errorf("merge again: %v", r)
	}

	html, scn := filepath.Join(root, "report.html"), filepath.Join(root, "scn")
	r = cli(t, "campaign", "report", "-html", html, "-scenarios", scn, merged)
	if r.code != 0 {
		t.Fatalf("report: %v", r)
	}
	head := regexp.MustCompile(`(\d+) counterexamples in (\d+) buckets`).FindStringSubmatch(r.stdout)
	if head == nil || head[1] != itoa(uint64(len(all))) {
		t.Fatalf("report head: %v", r)
	}
	rows := regexp.MustCompile(`(?m)^(x86-64) +(\S+) +(\S+) +(\d+) +(\d+) +(PC-[0-9A-F]{16}) +(.+)$`).FindAllStringSubmatch(r.stdout, -1)
	if itoa(uint64(len(rows))) != head[2] {
		t.Fatalf("%d rows for %s buckets:\n%s", len(rows), head[2], r.stdout)
	}
	// The buckets partition the counterexamples; each one's shortest is
	// the fewest steps of the bucket.
	type key struct{ variant, property, title string }
	members := map[key][]*cex.Counterexample{}
	for _, id := range all {
		c, err := cex.ReadFile(filepath.Join(merged, id+".json"))
		if err != nil {
			t.Fatal(err)
		}
		members[key{c.Scenario.Variant, c.Property, Title(c.Message)}] = append(members[key{c.Scenario.Variant, c.Property, Title(c.Message)}], c)
	}
	total := 0
	for _, row := range rows {
		ms := members[key{row[2], row[3], row[7]}]
		total += len(ms)
		if itoa(uint64(len(ms))) != row[4] {
			t.Errorf("bucket %v: count %s, want %d", row[1:], row[4], len(ms))
		}
		steps, _ := strconv.Atoi(row[5])
		for _, c := range ms {
			if len(c.Trace) < steps {
				t.Errorf("bucket %v: %s has %d steps, fewer than the shortest's %s", row[1:], c.ID, len(c.Trace), row[5])
			}
		}
	}
	if total != len(all) {
		t.Errorf("the buckets hold %d counterexamples, want %d", total, len(all))
	}
	page, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(page), "<table>") || strings.Count(string(page), "<details>") != len(rows) {
		t.Errorf("HTML report: %v\n%s", err, page)
	}
	// Files and directories readable by all.
	for _, p := range []string{merged, scn, html, filepath.Join(merged, "merged.json"), filepath.Join(merged, all[0]+".json"),
		filepath.Join(shards[0], "campaign.json")} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := os.FileMode(0o644); fi.IsDir() && fi.Mode().Perm()&0o555 != 0o555 || !fi.IsDir() && fi.Mode().Perm()&want != want&^0o022 {
			t.Errorf("%s: mode %v", p, fi.Mode())
		}
	}
	// Each bucket's scenario file is a regression test that replays.
	files, _ := filepath.Glob(filepath.Join(scn, "*.scn"))
	if len(files) != len(rows) {
		t.Fatalf("%d scenario files for %d buckets", len(files), len(rows))
	}
	for _, f := range files {
		pctest.CheckFile(t, f)
		if r := cli(t, "replay", strings.TrimSuffix(f, ".scn")+".json"); r.code != 0 {
			t.Errorf("replay %s: %v", f, r)
		}
	}
}

func TestCampaignMergeReportBadInput(t *testing.T) {
	root := t.TempDir()
	a, b, c := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "c")
	for _, x := range []struct {
		dir, seed, shard string
	}{{a, "1", "0/2"}, {b, "2", "1/2"}, {c, "1", "0/2"}} {
		if r := campaignRun(t, context.Background(), "-count", "2", "-seed", x.seed, "-shard", x.shard, "-workers", "1", "-states", "1000", "-out", x.dir); r.code != 0 {
			t.Fatal(r)
		}
	}
	damaged := filepath.Join(root, "damaged")
	os.MkdirAll(damaged, 0o755)
	os.WriteFile(filepath.Join(damaged, "PC-0000000000000000.json"), []byte("{\n  \"id\": 3\n}\n"), 0o644)
	empty := filepath.Join(root, "empty")
	os.MkdirAll(empty, 0o755)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"merge", "-out", root + "/m", a, b}, filepath.Join(b, "campaign.json") + ":1:1: another campaign than"},
		{[]string{"merge", "-out", root + "/m", a, c}, filepath.Join(c, "campaign.json") + ":1:1: shard 0/2 again"},
		{[]string{"merge", "-out", root + "/m", a, empty}, "no campaign.json"},
		{[]string{"merge", "-out", a, c}, "holds a campaign shard"},
		{[]string{"merge", a}, "want -out DIR"},
		{[]string{"merge", "-out", root + "/m"}, "want -out DIR"},
		{[]string{"report"}, "at least one campaign directory"},
		{[]string{"report", filepath.Join(root, "nothing")}, "not a directory"},
		{[]string{"report", damaged}, filepath.Join(damaged, "PC-0000000000000000.json") + ":2:"},
		{[]string{"report", "-bogus", a}, "flag provided but not defined"},
	} {
		r := cli(t, append([]string{"campaign"}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%v", tc.args, r.code, tc.want, r)
		}
	}
	// An empty directory reports no bucket; a merge with a shard missing
	// says which.
	if r := cli(t, "campaign", "report", empty); r.code != 0 || !strings.Contains(r.stdout, "0 counterexamples in 0 buckets") {
		t.Errorf("empty report: %v", r)
	}
	if r := cli(t, "campaign", "merge", "-out", root+"/m1", a); r.code != 0 || !strings.Contains(r.stdout, "1 of 2 shards (missing: 1)") {
		t.Errorf("merge of one shard: %v", r)
	}
	if r := cli(t, "campaign", "merge", "-h"); r.code != 0 || !strings.Contains(r.stdout, "usage: patchcheck campaign merge") {
		t.Errorf("merge -h: %v", r)
	}
}

func TestTitle(t *testing.T) {
	for _, tc := range [][2]string{
		{"cpu1 executes e9 0b f1 ff ff at s1+1: never the instruction there (torn)", "cpuN executes <bytes> at sN+N: never the instruction there (torn)"},
		{"cpu0 at __SCT__k1+5: #UD: ud1 %esp,%ecx", "cpuN at __SCT__kN+N: #UD: ud1 %esp,%ecx"},
		{"cpu1: int3 at s2 not handled", "cpuN: int3 at sN not handled"},
		{"cpu1: its call of s1 reached return0 after the update to f12 had returned", "cpuN: its call of sN reached return0 after the update to fN had returned"},
		{"no target (result 0xdeadbeef)", "no target (result <hex>)"},
		{"cpu2: its call of s1 reached f2 after the update to f3 had returned", "cpuN: its call of sN reached fN after the update to fN had returned"},
	} {
		if got := Title(tc[0]); got != tc[1] {
			t.Errorf("Title(%q) = %q, want %q", tc[0], got, tc[1])
		}
	}
}
