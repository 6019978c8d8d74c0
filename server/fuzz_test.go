package server

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"refuge/client"
	"refuge/internal/lowerhex"
	"refuge/server/api"
)

// The fuzz targets check the parsers of untrusted headers and bodies:
// they never panic, and what they accept is well-formed.

func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{
		"", "submission-id MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"filename ZXZpZGVuY2UubXA0,kind cmVsYXk=,is_confidential",
		"a b,a b", "key !!!", ",,,", " key", "k\x00 dg==", strings.Repeat("k dg==,", 700),
		"submission-id,verifier ,kind cmVwbHk=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		m, err := parseMetadata(h)
		if err != nil {
			return
		}
		if len(h) > maxMetadataLen {
			t.Fatal("accepted metadata longer than the limit")
		}
		for _, v := range []string{m.kind, m.submissionID, m.verifier} {
			if len(v) > len(h) {
				t.Fatal("a value longer than the header")
			}
		}
	})
}

func FuzzParseChecksum(f *testing.F) {
	for _, s := range []string{
		"sha1 2jmj7l5rSw0yVb/vlWAYkK/YBwk=", "sha256 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
		"md5 1B2M2Y8AsgTpgAmY7PhCfg==", "crc32c AAAAAA==", "crc32c AAAAAAA=", "sha256", "sha256 ", " sha1 x", "sha1 ***", "sha256 AAAA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		c, err := parseChecksum(h)
		if err != nil {
			return
		}
		if want := map[string]int{"sha1": 20, "sha256": 32, "crc32c": 4}[c.Algorithm]; want == 0 || len(c.Digest) != want {
			t.Fatalf("accepted %q as %s with %d bytes", h, c.Algorithm, len(c.Digest))
		}
		if got := c.Algorithm + " " + base64.StdEncoding.EncodeToString(c.Digest); got != h {
			t.Fatalf("accepted a non-canonical checksum %q", h)
		}
	})
}

func FuzzParseLength(f *testing.F) {
	for _, s := range []string{"0", "1", "68719476736", "-1", "+1", "1e3", " 1", "0x10", "999999999999999999", "9999999999999999999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseLength(s)
		if err != nil {
			return
		}
		if n < 0 || strconv.FormatInt(n, 10) != strings.TrimLeft(s, "0") && !(n == 0 && strings.Trim(s, "0") == "") {
			t.Fatalf("accepted %q as %d", s, n)
		}
	})
}

func FuzzParseAck(f *testing.F) {
	var sum [32]byte
	f.Add(string(Statement("0123456789abcdef0123456789abcdef", sum)))
	for _, s := range []string{
		`{"submission_id":"0123456789abcdef0123456789abcdef","sha256":"` + strings.Repeat("ab", 32) + `","imported":true}`,
		`{"submission_id":"0123456789abcdef0123456789abcdef","sha256":"` + strings.Repeat("ab", 32) + `","imported":false}`,
		`{"submission_id":"../../etc","sha256":"x","imported":true}`,
		`{"submission_id":"0123456789abcdef0123456789abcdef","imported":true}`,
		`{}`, `[]`, `null`, `{"a":1}`, `{"imported":true}{}`, "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, sum, err := parseAck([]byte(s))
		if err != nil {
			return
		}
		if !lowerhex.ID(id) {
			t.Fatalf("accepted submission id %q", id)
		}
		if _, _, err := parseAck(Statement(id, sum)); err != nil {
			t.Fatalf("the canonical statement of an accepted one is refused: %v", err)
		}
	})
}

// FuzzReadJSON: a request envelope the server accepts reads the same as a
// case-sensitive reading of its bytes that sees every field, which is what
// any other tool sees: no field in another letter case, none twice.
func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{
		`{"statement":"a","signature":"b"}`, `{"statement":"a","signature":"b","statement":"c"}`,
		`{"Statement":"a","signature":"b"}`, `{"\u017ftatement":"a"}`, "{\"\u017ftatement\":\"a\"}",
		`{"statement":"a","\u0073tatement":"c"}`, `{"statement":"a"} {}`, `{"statement":1}`, `[]`, `null`, ``,
	} {
		f.Add(s)
	}
	s := &Server{cfg: Config{MaxJSONBody: 1 << 10, BodyStall: time.Minute}}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/v1/acks", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var req api.AckPost
		if e := s.readJSON(httptest.NewRecorder(), r, &req, "statement", "signature"); e != nil {
			if strings.Contains(e.Message, body) && len(body) > 8 {
				t.Fatalf("the error repeats the body: %s", e.Message)
			}
			return
		}
		if len(body) > 1<<10 {
			t.Fatalf("accepted a %d-byte body", len(body))
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &fields); err != nil {
			t.Fatalf("accepted %q, which is not a JSON object: %v", body, err)
		}
		var want api.AckPost
		for name, dst := range map[string]*string{"statement": &want.Statement, "signature": &want.Signature} {
			if raw, ok := fields[name]; ok {
				if err := json.Unmarshal(raw, dst); err != nil {
					t.Fatalf("accepted %q: %v", body, err)
				}
			}
			delete(fields, name)
		}
		if len(fields) != 0 || req != want {
			t.Fatalf("accepted %q as %+v; its exact fields say %+v, and %d others", body, req, want, len(fields))
		}
	})
}

// FuzzDecodeToken: what the server accepts is 32 bytes, and the client
// accepts a token exactly when the server does: a token the server would
// refuse is refused before anything is sent (exit 2, "malformed token"),
// not answered 401 after the network round trips.
func FuzzDecodeToken(f *testing.F) {
	for _, s := range []string{
		strings.Repeat("ab", 32), strings.Repeat("AB", 32), strings.Repeat("A", 43), "zz", strings.Repeat("G", 64), "",
		strings.Repeat("A", 42) + "_", strings.Repeat("A", 42) + "E", strings.Repeat("A", 42) + "\n",
		strings.Repeat("A", 40) + "\r\nA", strings.Repeat("A", 43) + "=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := decodeToken(s)
		if err == nil && len(b) != 32 {
			t.Fatalf("accepted a %d-byte token", len(b))
		}
		if client.ValidToken(s) != (err == nil) {
			t.Fatalf("%q: the client says valid %v, the server %v", s, client.ValidToken(s), err)
		}
	})
}

// TestValidTokenAgreesWithServer: every byte in every place of a 43- and a
// 64-character token, and every length up to 100, is valid to the client
// exactly when the server decodes it. A 43-character token holds 258 bits
// for 256: the last character's two low bits must be zero, which the
// server's strict decoder requires and the client did not check.
func TestValidTokenAgreesWithServer(t *testing.T) {
	var toks []string
	var raw [32]byte
	for i := range raw {
		raw[i] = byte(i * 37)
	}
	for _, good := range []string{base64.RawURLEncoding.EncodeToString(raw[:]), hex.EncodeToString(raw[:])} {
		for i := range len(good) {
			for c := range 256 {
				toks = append(toks, good[:i]+string([]byte{byte(c)})+good[i+1:])
			}
		}
		toks = append(toks, good, good+"\n", good[1:], "A"+good)
	}
	for n := range 101 {
		toks = append(toks, strings.Repeat("A", n), strings.Repeat("0", n), strings.Repeat("_", n))
	}
	accepted := 0
	for _, tok := range toks {
		_, err := decodeToken(tok)
		if client.ValidToken(tok) != (err == nil) {
			t.Errorf("%q: the client says valid %v, the server %v", tok, client.ValidToken(tok), err)
		}
		if err == nil {
			accepted++
		}
	}
	if accepted < 100 || accepted == len(toks) {
		t.Fatalf("%d of %d tokens accepted: the enumeration tests nothing", accepted, len(toks))
	}
}

// The standard base64 decoder skips \r and \n even in strict mode; the
// header parsers must not read around them.
func TestHeaderBase64WithLineBreaks(t *testing.T) {
	for _, h := range []string{"sha1 000\r000000000000000000000000=", "sha256 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hS\nuFU=", "crc32c AAAA\r\nAA=="} {
		if _, err := parseChecksum(h); err == nil {
			t.Errorf("parseChecksum accepted %q", h)
		}
	}
	for _, h := range []string{"kind cmV\rsYXk=", "submission-id MDEyMzQ1Njc4OWFi\nY2RlZjAxMjM0NTY3ODlhYmNkZWY="} {
		if _, err := parseMetadata(h); err == nil {
			t.Errorf("parseMetadata accepted %q", h)
		}
	}
}

// A write that finds the disk full is answered 507, as a request refused
// for want of room is, not as an internal error.
func TestStoreErrorDiskFull(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, err := range []error{
		&os.PathError{Op: "write", Path: "blob", Err: syscall.ENOSPC},
		fmt.Errorf("store: commit: %w", syscall.EDQUOT),
	} {
		if e := s.storeError("write chunk", err); e.Code != api.CodeNoSpace {
			t.Errorf("%v: code %s, want %s", err, e.Code, api.CodeNoSpace)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{
		"", "bytes=0-", "bytes=0-0", "bytes=100-1099", "bytes=-500", "bytes=-0", "bytes=5-1", "bytes=0-1,2-3",
		"bytes=0-100,50-150", "bytes= 0-1", "bytes=0 -1", "bytes=+0-1", "bytes=-+5", "bytes=0x10-", "bytes=5",
		"bytes=-", "bytes=--5", "bytes=0-99999999999999999999", "bytes=999999999999999999-", "BYTES=0-1",
		"items=0-1", "bytes=0-1,", "bytes=,0-1", "bytes=\uff10-\uff11", "bytes=0-1\x00", "bytes=0-" + strings.Repeat(",0-0", 200),
	} {
		f.Add(s, int64(10000), false)
	}
	f.Add("bytes=0-0", int64(0), false)
	f.Add("bytes=-1", int64(1), true)
	f.Fuzz(func(t *testing.T, h string, size int64, twice bool) {
		if size < 0 {
			size = -(size + 1)
		}
		values := []string{h}
		if twice {
			values = append(values, h)
		}
		br, err := parseRange(values, size)
		if err != nil {
			return
		}
		if twice {
			t.Fatal("took two Range headers")
		}
		if !br.partial || br.length < 1 || br.start < 0 || br.start > size-br.length {
			t.Fatalf("range %+v of a file of %d bytes from %q", br, size, h)
		}
		// What is taken is one range, in digits, as parseRange says.
		spec, ok := strings.CutPrefix(h, "bytes=")
		first, last, _ := strings.Cut(spec, "-")
		if !ok || first+last == "" || strings.Trim(first+last, "0123456789") != "" || len(first) > 18 || len(last) > 18 {
			t.Fatalf("took %q", h)
		}
		if first != "" {
			a, _ := strconv.ParseInt(first, 10, 64)
			if br.start != a {
				t.Fatalf("%q starts at %d", h, br.start)
			}
		} else {
			n, _ := strconv.ParseInt(last, 10, 64)
			if br.start+br.length != size || br.length > n {
				t.Fatalf("suffix %q of %d bytes gave %+v", h, size, br)
			}
		}
	})
}
