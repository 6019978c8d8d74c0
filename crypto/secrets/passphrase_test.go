package secrets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPassphraseFromFile(t *testing.T) {
	tests := []struct {
		desc    string
		content string
		mode    os.FileMode
		want    string
		wantErr string
		warn    bool
	}{
		{desc: "first line, newline stripped", content: "correct horse\nsecond line\n", mode: 0o600, want: "correct horse"},
		{desc: "no trailing newline", content: "battery staple", mode: 0o600, want: "battery staple"},
		{desc: "crlf stripped", content: "staple\r\n", mode: 0o600, want: "staple"},
		{desc: "spaces kept", content: " a b \n", mode: 0o600, want: " a b "},
		{desc: "empty file refused", content: "", mode: 0o600, wantErr: "empty passphrase"},
		{desc: "empty first line refused", content: "\nsecret\n", mode: 0o600, wantErr: "empty passphrase"},
		{desc: "too long refused", content: strings.Repeat("x", maxPassphrase+1), mode: 0o600, wantErr: "longer than"},
		{desc: "longest accepted", content: strings.Repeat("x", maxPassphrase) + "\n", mode: 0o600, want: strings.Repeat("x", maxPassphrase)},
		// The warnings name the file, whose path holds $TMPDIR: the
		// passphrase must be one that no path holds by chance ("pw" is
		// in about one in 400 random ten-letter names such as mktemp's).
		{desc: "world readable warns", content: "not a real passphrase\n", mode: 0o644, want: "not a real passphrase", warn: true},
		{desc: "group readable warns", content: "not a real passphrase\n", mode: 0o640, want: "not a real passphrase", warn: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "pass")
			if err := os.WriteFile(name, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(name, tc.mode); err != nil {
				t.Fatal(err)
			}
			var warnings []string
			b, err := ReadPassphrase(Prompt{File: name, Warn: func(s string) { warnings = append(warnings, s) }})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer b.Destroy()
			if got := string(b.Bytes()); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if tc.warn != (len(warnings) > 0) {
				t.Errorf("warnings %q, want warning: %v", warnings, tc.warn)
			}
			for _, w := range warnings {
				if strings.Contains(w, tc.want) {
					t.Errorf("warning contains the passphrase: %q", w)
				}
			}
		})
	}
}

func TestPassphraseFileMissing(t *testing.T) {
	_, err := ReadPassphrase(Prompt{File: filepath.Join(t.TempDir(), "nope")})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want not exist", err)
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestCheckNew(t *testing.T) {
	for p, ok := range map[string]bool{
		"":                      false,
		"eleven chars":          true, // 12 characters
		"eleven char":           false,
		"ééééééééééé":           false, // 11 characters, 22 bytes
		"éééééééééééé":          true,
		"correct horse battery": true,
	} {
		if err := CheckNew([]byte(p)); (err == nil) != ok || err != nil && !errors.Is(err, ErrShortPassphrase) {
			t.Errorf("CheckNew(%q) = %v, want ok %v", p, err, ok)
		}
	}
}
