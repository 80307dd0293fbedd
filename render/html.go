package render

import (
	"fmt"
	"strings"

	"github.com/patchcheck/patchcheck/cex"
	"github.com/patchcheck/patchcheck/scenario"
)

// pageStyle is the HTML pages' stylesheet.
const pageStyle = `
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;margin:16px 24px;color:#111827;max-width:none}
h1{font-size:22px;margin:8px 0}
h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:3px}
p,li{font-size:14px;line-height:1.45;max-width:60em}
pre{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px;background:#f9fafb;border:1px solid #e5e7eb;padding:8px 10px;overflow-x:auto;max-width:90ch}
code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:13px}
.pc-scroll{overflow-x:auto;border:1px solid #d1d5db;background:#ffffff}
.pc-scroll svg{display:block}
.pc-bad{color:#b91c1c;font-weight:bold}
.pc-safe{color:#15803d;font-weight:bold}
.pc-note{color:#4b5563;font-size:13px}
table{border-collapse:collapse;font-size:13.5px}
td,th{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}
.pc-nw{white-space:nowrap}
nav{font-size:13px;margin-bottom:6px}
`

// section is a part of an HTML page: a heading and its HTML body.
type section struct {
	heading string
	body    string
}

// page writes a standalone HTML page.
func page(title, intro string, sections []section) []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"generator\" content=\"patchcheck\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n", esc(title), pageStyle)
	b.WriteString(intro)
	for _, s := range sections {
		if s.heading != "" {
			fmt.Fprintf(&b, "<h2>%s</h2>\n", esc(s.heading))
		}
		b.WriteString(s.body)
		if !strings.HasSuffix(s.body, "\n") {
			b.WriteString("\n")
		}
	}
	b.WriteString("</body>\n</html>\n")
	return []byte(b.String())
}

func pre(s string) string { return "<pre>" + esc(strings.TrimRight(s, "\n")) + "</pre>\n" }

func para(s string) string { return "<p>" + esc(s) + "</p>\n" }

// pictureSection embeds c's picture (at most 1,346 px wide: long traces
// wrap into rows).
func pictureSection(c *cex.Counterexample) section {
	return section{"Picture", `<p class="pc-note">One lane per CPU and kernel thread, one column per step (hover a box for its full description); ` +
		`below, the bytes of each patched window after each step, with the CPUs that may still fetch older bytes; ` +
		`a long trace wraps into rows of ten steps. The last step, outlined in red, is the violating one.</p>` + "\n" +
		`<div class="pc-scroll">` + "\n" + svgElement(c) + "</div>\n"}
}

// violationSection says first what went wrong: the violating step, told
// from its events, and why, so that a page's first screen shows the
// violation however long the trace; a link leads to its column in the
// picture.
func violationSection(c *cex.Counterexample) section {
	t := analyse(c)
	n := len(t.steps)
	if n == 0 {
		return section{"What went wrong", para(c.Message)}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<p><b>%s</b> %s <a href=\"#pc-violation\">(in the picture)</a></p>\n",
		esc(fmt.Sprintf("Step %d, %s:", n, t.steps[n-1].Actor)), esc(t.sentence(n-1)))
	for _, p := range t.diagnosis() {
		b.WriteString(para(p))
	}
	return section{"What went wrong", b.String()}
}

// cexIntro is the heading of a counterexample's page.
func cexIntro(c *cex.Counterexample, nav string) string {
	protocol, fetch := protocolOf(c)
	return nav + fmt.Sprintf("<h1>%s</h1>\n", esc("patchcheck: "+headline(c))) +
		fmt.Sprintf("<p><code>%s</code> (%s), scenario <code>%s</code> (%s, fetch %s), %d steps.</p>\n",
			esc(c.ID), esc(c.Model), esc(c.Scenario.Name), esc(protocol), esc(fetch), len(c.Trace)) +
		fmt.Sprintf("<p class=\"pc-bad\">!! %s</p>\n", esc(c.Message))
}

// HTML returns a standalone page for the counterexample: the picture, the
// mail text (with replay as its replay command), the prose and the
// scenario.
func HTML(c *cex.Counterexample, replay string) []byte {
	return page(c.ID+": "+c.Property+" in "+c.Scenario.Name, cexIntro(c, ""), append(leadSections(c),
		pictureSection(c),
		section{"Counterexample (mail text)", pre(c.Text(replay))},
		section{"In prose", pre(Explain(c))},
		section{"Scenario", pre(string(scenario.Format(c.Scenario)))},
	))
}

// leadSections are the first sections of a counterexample's page: what
// went wrong, then the protocol the user wrote (cex.ProtocolText: the
// diffs, the model files as diffs against the built-in ones, the sketch),
// if any.
func leadSections(c *cex.Counterexample) []section {
	secs := []section{violationSection(c)}
	if shown := cex.ProtocolText(c.Scenario); shown != "" {
		secs = append(secs, section{"The protocol checked: " + cex.Protocol(c.Scenario), pre(shown)})
	}
	return secs
}

// StatementHTML returns a standalone page for a verified statement: the
// card and the mail text.
func StatementHTML(s *Statement, scenarioText string) []byte {
	secs := []section{
		{"", `<div class="pc-scroll" style="display:inline-block">` + "\n" + statementElement(s) + "</div>\n"},
		{"Statement (mail text)", pre(s.Text())},
	}
	if scenarioText != "" {
		secs = append(secs, section{"Scenario", pre(scenarioText)})
	}
	return page(s.ID+": "+s.Scenario+" verified", fmt.Sprintf("<h1>%s</h1>\n", esc("patchcheck: "+s.Scenario+" verified")), secs)
}
