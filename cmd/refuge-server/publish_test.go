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
