//go:build linux

package main

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"refuge/client/clienttest"
	"refuge/internal/ptytest"
)

// TestProgressFitsTheTerminal runs refuge submit at a real terminal of a
// set width (a phone, a split pane; 0: a terminal that gives no width),
// held mid-upload until it has redrawn its progress line a few times,
// and checks that no line it redrew is as wide as the window: a line that
// wraps cannot be cleared by the next redraw, and each one left a row of
// garbage. The last column stays free, as some terminals wrap as soon as
// it is written. The final line, written once and ended, may wrap.
// (Unfitted, the line here is about 80 columns: TestRedrawFitsTheTerminal
// in internal/progress draws far wider ones at a terminal of unknown
// width.)
func TestProgressFitsTheTerminal(t *testing.T) {
	t.Parallel()
	for _, cols := range []uint16{20, 40, 0} {
		t.Run(fmt.Sprintf("%d columns", cols), func(t *testing.T) {
			t.Parallel()
			srv := clienttest.StartServer(t)
			hold := clienttest.StartHoldProxy(t, srv.Addr, 4<<20)
			u := newUser(t)
			file := randomFile(t, t.TempDir(), "evidence.bin", 12<<20)
			tt := ptytest.Open(t)
			tt.SetSize(24, cols)
			tt.Start(u.command(nil, "submit", "--server", "http://"+hold.Addr, "--root-pub", srv.Keys.RootPub.String(), file))
			tt.WaitUntil("three progress lines", func(out string) bool { return strings.Count(out, "\r\033[K") >= 3 })
			hold.Release()
			code := tt.Wait()
			out := tt.Output()
			if code != 0 {
				t.Fatalf("exit %d:\n%q", code, out)
			}
			limit := int(cols)
			if cols == 0 {
				limit = 80
			}
			redrawn, ended := 0, 0
			for _, chunk := range strings.Split(out, "\r\033[K")[1:] {
				line, rest, _ := strings.Cut(chunk, "\r")
				if strings.HasPrefix(rest, "\n") {
					ended++ // the final line ("\n" is "\r\n" at a terminal)
					continue
				}
				redrawn++
				// ASCII here: a character is a column.
				if n := utf8.RuneCountInString(line); n >= limit || strings.Contains(line, "\n") {
					t.Errorf("a progress line %d columns wide, at %d columns: %q", n, cols, line)
				}
			}
			if redrawn < 2 || ended != 1 {
				t.Fatalf("%d progress lines and %d final lines, want 2 or more and 1:\n%q", redrawn, ended, out)
			}
		})
	}
}

// TestSlowLinkProgressWords runs refuge submit at a real terminal through
// a link of 40 KB/s. The bundle is one chunk, handed to the connection at
// once and confirmed only when the server has it all: the line read
// "0 B / … (0%), 0 B/s, ? left; … sent, unconfirmed" all that time, which
// reads as stuck, and called sent what had only been handed over. Now it
// says what the server confirmed, that the speed is being measured, and
// what is on its way.
func TestSlowLinkProgressWords(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	slow := clienttest.StartSlowProxy(t, srv.Addr, 40<<10)
	u := newUser(t)
	file := randomFile(t, t.TempDir(), "evidence.bin", 120<<10)
	tt := ptytest.Open(t)
	tt.SetSize(24, 200)
	tt.Start(u.command(nil, "submit", "--server", "http://"+slow, "--root-pub", srv.Keys.RootPub.String(), file))
	if code := tt.Wait(); code != 0 {
		t.Fatalf("exit %d:\n%q", code, tt.Output())
	}
	waiting := 0 // lines drawn while nothing was confirmed
	for _, chunk := range strings.Split(tt.Output(), "\r\033[K")[1:] {
		line, rest, _ := strings.Cut(chunk, "\r")
		if strings.HasPrefix(rest, "\n") || !strings.HasPrefix(line, "refuge: upload") {
			continue // the final line, or no progress line
		}
		if strings.Contains(line, " 0 B/s") || strings.Contains(line, "?") || strings.Contains(line, " sent") {
			t.Errorf("progress line %q reads as stuck, or calls sent what was handed over", line)
		}
		if strings.HasPrefix(line, "refuge: upload 0 B of ") {
			waiting++
			if !strings.Contains(line, " confirmed (0%), measuring the speed; ") || !strings.HasSuffix(line, " on its way") {
				t.Errorf("progress line %q, want nothing confirmed, the speed being measured and the bytes on their way", line)
			}
		}
	}
	if waiting < 2 {
		t.Fatalf("%d progress lines while nothing was confirmed, want 2 or more:\n%q", waiting, tt.Output())
	}
}

// TestStallToldAsStall runs refuge submit at a real terminal through a
// link that stops in the middle of the first chunk, after the connection
// took all of it: no answer comes within the wait for one (1 s here, 60 s
// by default). The notice began "no answer from the server yet (network:
// timed out)", odd for a server that had answered and was taking the
// upload, and "(0 tries failed in a row", as the stall of a chunk, which
// is tried again smaller, does not count towards giving up. It now says
// that the upload stalled, why, and that it goes on from what the server
// holds; and once the link moves it does.
func TestStallToldAsStall(t *testing.T) {
	t.Parallel()
	srv := clienttest.StartServer(t)
	hold := clienttest.StartHoldProxy(t, srv.Addr, 64<<10)
	u := newUser(t)
	u.env = append(u.env, timeoutEnv+"=1s")
	file := randomFile(t, t.TempDir(), "evidence.bin", 1<<20)
	tt := ptytest.Open(t)
	tt.SetSize(24, 200)
	tt.Start(u.command(nil, "submit", "--server", "http://"+hold.Addr, "--root-pub", srv.Keys.RootPub.String(), file))
	const told = "refuge: the upload stalled: the server has not confirmed the last part of the upload for 1s (it stopped taking the upload, or the link is very slow); it goes on from what the server holds in a moment\r\n"
	// The next tries find the server still reading the try the stall cut
	// off, which the proxy holds: 409 "another request is writing to this
	// upload", told as that, not as a server that never answered.
	const busy = "refuge: the server is still busy with an earlier try of this upload; trying again in a moment (2 tries failed in a row, giving up after 50)\r\n"
	tt.WaitUntil("the stall and the busy server told", func(out string) bool {
		return strings.Contains(out, busy) || strings.Contains(out, "no answer from the server yet")
	})
	hold.Release()
	code := tt.Wait()
	out := tt.Output()
	if code != 0 || !strings.Contains(out, told) || !strings.Contains(out, busy) || strings.Contains(out, "no answer from the server yet") || strings.Contains(out, "0 tries") {
		t.Fatalf("exit %d, want 0, the stall told as %q and the busy server as %q:\n%q", code, told, busy, out)
	}
}
