package progress

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSize(t *testing.T) {
	tests := []struct {
		desc string
		n    int64
		want string
	}{
		{desc: "zero", n: 0, want: "0 B"},
		{desc: "bytes", n: 1023, want: "1023 B"},
		{desc: "kibibyte", n: 1024, want: "1.0 KiB"},
		{desc: "kibibytes", n: 1536, want: "1.5 KiB"},
		{desc: "mebibytes", n: 5 << 20, want: "5.0 MiB"},
		{desc: "gibibytes", n: 3<<30 + 1<<29, want: "3.5 GiB"},
	}
	for _, tc := range tests {
		if got := Size(tc.n); got != tc.want {
			t.Errorf("%s: Size(%d) = %q, want %q", tc.desc, tc.n, got, tc.want)
		}
	}
}

func TestPercent(t *testing.T) {
	tests := []struct {
		desc     string
		n, total int64
		want     int64
	}{
		{desc: "start", n: 0, total: 10, want: 0},
		{desc: "half", n: 5, total: 10, want: 50},
		{desc: "over", n: 20, total: 10, want: 100},
		{desc: "no total", n: 5, total: 0, want: 100},
	}
	for _, tc := range tests {
		if got := Percent(tc.n, tc.total); got != tc.want {
			t.Errorf("%s: Percent(%d, %d) = %d, want %d", tc.desc, tc.n, tc.total, got, tc.want)
		}
	}
}

// Scripts (standard error not a terminal) never see sealing or opening progress.
func TestTerminalOnlySilentOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	m := Start(&buf, "refuge", "sealing", 100, TerminalOnly)
	m.N.Add(50)
	m.Finish()
	m.Finish() // idempotent
	if buf.Len() != 0 {
		t.Errorf("progress printed %q off a terminal", buf.String())
	}
}

// Transfers off a terminal end with one plain line, free of control codes.
func TestAlwaysPlainOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	m := Start(&buf, "refuge", "upload", 3<<20, Always)
	m.N.Store(3 << 20)
	m.Finish()
	m.Finish()
	out := buf.String()
	if strings.ContainsAny(out, "\r\033") {
		t.Fatalf("terminal control codes in plain output: %q", out)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "refuge: upload 3.0 MiB in ") {
		t.Fatalf("want one final line, got %q", out)
	}
}

// The final line counts the time from Start, even when no tick came
// before it (a transfer shorter than the ticker's interval).
func TestFinalLineCountsFromStart(t *testing.T) {
	var buf bytes.Buffer
	m := Start(&buf, "refuge", "upload", 1<<20, Always)
	m.began = m.began.Add(-3 * time.Second) // as if Start was 3 s ago
	m.N.Store(1 << 20)
	m.Finish()
	finalTime(t, buf.String(), "refuge: upload 1.0 MiB in ", 3*time.Second)
}

// A transfer that stops short (an error, Ctrl-C) says where it stopped,
// never in the words of a finished one.
func TestFinalLineStoppedShort(t *testing.T) {
	var buf bytes.Buffer
	m := Start(&buf, "refuge", "upload", 200<<20, Always)
	m.began = m.began.Add(-2 * time.Second)
	m.N.Store(64 << 20)
	m.Finish()
	finalTime(t, buf.String(), "refuge: upload stopped at 64.0 MiB of 200.0 MiB (32%) after ", 2*time.Second)
}

// finalTime checks that out is one line: prefix, then the time since
// Start, which is least (how far the test moved Start back) plus what the
// test itself took: on a busy machine that can be more than the 0.1 s
// the line shows.
func finalTime(t *testing.T, out, prefix string, least time.Duration) {
	t.Helper()
	d, err := time.ParseDuration(strings.TrimSuffix(strings.TrimPrefix(out, prefix), "\n"))
	if !strings.HasPrefix(out, prefix) || strings.Count(out, "\n") != 1 || err != nil || d < least || d > least+time.Minute {
		t.Fatalf("final line %q, want %q and about %v", out, prefix, least)
	}
}

// Bytes on their way (handed to the connection, not yet acknowledged) are
// shown apart, never counted as done, and never called sent: on a slow
// link the line shows them while the server has confirmed nothing, and
// the final line of a transfer that stops there says it stopped at what
// was confirmed. Off a terminal the lines stay plain.
func TestSendingShownApart(t *testing.T) {
	var buf bytes.Buffer
	m := StartUpload(&buf, "refuge", "upload", 1<<20)
	m.Sending.Store(96 << 10)
	m.print(false)
	m.N.Store(256 << 10)
	m.Sending.Store(0)
	m.print(false)
	m.Sending.Store(64 << 10)
	m.Finish()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if strings.ContainsAny(buf.String(), "\r\033") || len(lines) != 3 {
		t.Fatalf("want three plain lines, got %q", buf.String())
	}
	if want := "refuge: upload 0 B of 1.0 MiB confirmed (0%), "; !strings.HasPrefix(lines[0], want) || !strings.HasSuffix(lines[0], "; 96.0 KiB on its way") {
		t.Errorf("line while sending %q, want %q… and the bytes on their way apart", lines[0], want)
	}
	if want := "refuge: upload 256.0 KiB of 1.0 MiB confirmed (25%), "; !strings.HasPrefix(lines[1], want) || strings.Contains(lines[1], "on its way") {
		t.Errorf("line with nothing on its way %q, want %q… and nothing on its way", lines[1], want)
	}
	if want := "refuge: upload stopped at 256.0 KiB of 1.0 MiB (25%) after "; !strings.HasPrefix(lines[2], want) || strings.Contains(lines[2], "64.0 KiB") {
		t.Errorf("final line %q, want %q… counting only what was confirmed", lines[2], want)
	}
	if strings.Contains(buf.String(), " sent") {
		t.Errorf("bytes handed to the connection called sent:\n%s", buf.String())
	}
}

// Before the server has confirmed a byte since the meter first looked,
// the speed is not known: the line said "0 B/s, ? left", which reads as
// stuck to a person whose slow link was carrying the first chunk. It says
// the speed is being measured, also on a resumed transfer (which starts
// above zero), and gives a rate and a time left once bytes are confirmed.
func TestRateMeasuredFromConfirmed(t *testing.T) {
	for _, from := range []int64{0, 300 << 10} {
		var buf bytes.Buffer
		m := StartUpload(&buf, "refuge", "upload", 1<<20)
		m.N.Store(from)
		m.Sending.Store(201 << 10)
		m.print(false)
		m.start = m.start.Add(-4 * time.Second) // as if the first look was 4 s ago
		m.N.Store(from + 256<<10)
		m.Sending.Store(0)
		m.print(false)
		m.Finish()
		lines := strings.Split(buf.String(), "\n")
		if !strings.HasSuffix(lines[0], "confirmed ("+strconv.FormatInt(Percent(from, 1<<20), 10)+"%), measuring the speed; 201.0 KiB on its way") || strings.Contains(lines[0], "B/s") || strings.Contains(lines[0], "left") {
			t.Errorf("from %d, before a byte is confirmed: %q, want the speed being measured", from, lines[0])
		}
		if !strings.Contains(lines[1], "/s, ") || !strings.Contains(lines[1], "s left") || strings.Contains(lines[1], "measuring") || strings.Contains(lines[1], " 0 B/s") {
			t.Errorf("from %d, once bytes are confirmed: %q, want a rate and a time left", from, lines[1])
		}
	}
}

// A download (courier pull) is no upload: its line says nothing of
// confirmation, which only a server gives.
func TestDownloadLineSaysNoConfirmed(t *testing.T) {
	var buf bytes.Buffer
	m := Start(&buf, "refuge", "pull 0123abcd", 1<<20, Always)
	m.print(false)
	m.Finish()
	if want := "refuge: pull 0123abcd 0 B of 1.0 MiB (0%), measuring the speed\n"; !strings.HasPrefix(buf.String(), want) {
		t.Errorf("download line %q, want %q", buf.String(), want)
	}
}
