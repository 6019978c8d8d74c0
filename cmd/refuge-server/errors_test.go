package main

import (
	"bytes"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"testing"

	"refuge/client/clienttest"
)

// TestErrorFormat pins what refuge-server prints for a failure on each
// of its paths, as refuge and refuge-officer print theirs: a line
// "refuge-server: error: MESSAGE", then "refuge-server: hint: …" lines,
// nothing on stdout, and the documented exit code (2 for a bad command
// line, 1 for a failure). A token command's error reads the same whether
// the command ran on the database or the running server answered it
// through its admin socket.
func TestErrorFormat(t *testing.T) {
	bin := clienttest.BuildServer(t)
	srv := clienttest.Setup(t, nil, nil, nil, 0)
	reissue := []string{"token", "reissue", "--partner", "nobody", "--data", srv.Dir}
	reissueErr := `refuge-server: error: reissue token: there is no partner token named "nobody"; nothing was revoked or added
refuge-server: hint: token list shows the tokens, with their roles
refuge-server: hint: a name's first token is added by refuge-server token add --partner nobody --data ` + shellWord(srv.Dir) + "\n"
	check := func(desc string, args []string, wantRC int, wantErr string) {
		t.Helper()
		out, errs, rc := serverCmd(args...)
		if rc != wantRC || out != "" || errs != wantErr {
			t.Errorf("%s: exit %d, stdout %q, stderr\n%s\nwant exit %d, stderr\n%s", desc, rc, out, errs, wantRC, wantErr)
		}
	}

	check("flag error", []string{"token", "list", "--dta", srv.Dir}, exitUsage,
		`refuge-server: error: unknown flag --dta
refuge-server: hint: did you mean --data?
refuge-server: hint: run "refuge-server token list --help" for usage
`)
	check("offline token error", reissue, exitError, reissueErr)

	_, stop := srv.StartProcess(t, bin)
	check("token error through the admin socket", reissue, exitError, reissueErr)
	stop()

	// Startup: the real binary, on an address another listener holds.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	cmd := exec.Command(bin, "--data", filepath.Join(t.TempDir(), "data"), "--root-pub", srv.Keys.RootPub.String(), "--listen", addr) // #nosec G204 -- the binary the test built
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	want := "refuge-server: error: cannot listen on " + addr + ": another server (perhaps another refuge-server --dev) is already listening there\n" +
		"refuge-server: hint: pick another address with --listen, for example --listen 127.0.0.1:8444 (or 127.0.0.1:0 for any free port)\n" +
		"refuge-server: hint: or stop the other server first\n"
	if !errors.As(err, &exit) || exit.ExitCode() != exitError || stdout.Len() != 0 || stderr.String() != want {
		t.Errorf("startup on an address in use: %v, stdout %q, stderr\n%s\nwant exit %d, stderr\n%s", err, stdout.String(), stderr.String(), exitError, want)
	}
}
