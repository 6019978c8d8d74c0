package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"refuge/client/clienttest"
	"refuge/server/store"
)

// A manifest that verifies but is not newer than the published one is
// refused with both versions and the version the next one needs, on the
// database and through a running server alike; one that does not verify
// is refused for that, whatever its version. Nothing is published.
func TestPublishOlderVersion(t *testing.T) {
	keys := clienttest.NewKeys(t)
	m3, s3 := keys.Manifest(t, 3, "2099-12-31")
	srv := clienttest.Setup(t, keys, m3, s3, 3)
	dir := t.TempDir()
	publish := func(m, sig []byte) (string, string, int) {
		mf, sf := filepath.Join(dir, "manifest.json"), filepath.Join(dir, "manifest.json.minisig")
		if err := os.WriteFile(mf, m, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sf, sig, 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		rc := run([]string{"publish", "--data", srv.Dir, "--root-pub", keys.RootPub.String(), mf, sf}, &out, &errb)
		return out.String(), errb.String(), rc
	}
	older := func(v uint64) string {
		return "refuge-server: error: publish manifest: this key manifest is version " + strconv.FormatUint(v, 10) + ", not higher than version 3, which the server publishes; nothing was published\n" +
			"refuge-server: hint: a new key manifest needs a higher version: the officers sign it with refuge-officer manifest sign … --version 4\n"
	}
	m2, s2 := keys.Manifest(t, 2, "2099-12-31")
	other := clienttest.NewKeys(t)
	forged, forgedSig := other.Manifest(t, 1, "2099-12-31")
	check := func(how string) {
		t.Helper()
		for _, tc := range []struct {
			desc    string
			m, sig  []byte
			want    string // all of stderr, or
			wantPre string // its beginning, for a refusal that is not the version's
		}{
			{desc: "an older version", m: m2, sig: s2, want: older(2)},
			{desc: "the same version", m: m3, sig: s3, want: older(3)},
			{desc: "an older version signed by another key", m: forged, sig: forgedSig, wantPre: "refuge-server: error: publish manifest: "},
		} {
			out, errs, rc := publish(tc.m, tc.sig)
			if rc != exitError || out != "" {
				t.Fatalf("%s, %s: exit %d, stdout %q", how, tc.desc, rc, out)
			}
			if tc.want != "" && errs != tc.want {
				t.Fatalf("%s, %s:\n got %q\nwant %q", how, tc.desc, errs, tc.want)
			}
			if tc.wantPre != "" && (!strings.HasPrefix(errs, tc.wantPre) || strings.Contains(errs, "not higher")) {
				t.Fatalf("%s, %s: %q, want the signature's refusal", how, tc.desc, errs)
			}
		}
	}
	served := func() uint64 {
		t.Helper()
		st, err := store.Open(srv.Dir, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_, _, v, err := st.Manifest(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	check("on the database")
	if v := served(); v != 3 {
		t.Fatalf("the published version is %d after refused publishes, want 3", v)
	}
	_, stop := srv.StartProcess(t, clienttest.BuildServer(t))
	check("through the running server")
	stop()
	if v := served(); v != 3 {
		t.Fatalf("the published version is %d after refused publishes, want 3", v)
	}
}

// A --root-pub cut short in copying, or no key at all, is told what a root
// key looks like, in the words of refuge and refuge-officer, and nothing of
// it is repeated; nothing is made in the data folder.
func TestBadRootPub(t *testing.T) {
	const short = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO"
	dir := t.TempDir()
	for _, tc := range []struct {
		desc string
		args []string
		cmd  string
	}{
		{"serve, a character short", []string{"--data", filepath.Join(dir, "serve"), "--root-pub", short}, "refuge-server"},
		{"serve, an escape sequence", []string{"--data", filepath.Join(dir, "serve"), "--root-pub", "RW\x1b[2J"}, "refuge-server"},
		{"publish, a character short", []string{"publish", "--data", filepath.Join(dir, "publish"), "--root-pub", short, "m.json", "m.json.minisig"}, "refuge-server publish"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var out, errb bytes.Buffer
			rc := run(tc.args, &out, &errb)
			want := `refuge-server: error: --root-pub is not a root public key: that is one line of 56 letters, digits, "+" and "/", beginning "RW"` + "\n" +
				`refuge-server: hint: run "` + tc.cmd + ` --help" for usage` + "\n" +
				"refuge-server: hint: copy it again exactly as the officers published it (their root.pub); a character may have been lost or added\n"
			if rc != exitUsage || out.Len() != 0 || errb.String() != want {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant exit %d and:\n%s", rc, out.String(), errb.String(), exitUsage, want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("%d entries made in the data folder's parent", len(entries))
			}
		})
	}
}
