package progress

import (
	"io"
	"os"

	"golang.org/x/term"
)

// Redraws reports whether a line can be redrawn on w with "\r\033[K": w
// is a terminal that acts on escape sequences. On Windows the console is
// asked to (ENABLE_VIRTUAL_TERMINAL_PROCESSING, Windows 10 and later);
// where it cannot, w counts as no terminal and gets plain lines, rather
// than "←[K" printed at every redraw.
func Redraws(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && enableVT(f.Fd())
}
