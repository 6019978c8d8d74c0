package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"testing"

	"refuge/server"
	"refuge/server/api"
	"refuge/server/store"
)

// TestMediaTypeParameters: what many HTTP libraries send by default (Java's
// and .NET's clients, Python requests' json=) is understood. A partner's
// relay whose PATCH names the tus type in capitals is stored; a courier
// acknowledges it with "application/json; charset=utf-8" and publishes a
// manifest with `Application/JSON; Charset="UTF-8"`, and both take effect.
// The refused variants (another charset, another parameter, a parameter
// on the tus type) are rows of TestHostileRequests.
func TestMediaTypeParameters(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := newSubmitter()
	body := e.bundle(2 << 10)
	loc := e.create(len(body), s.meta()+","+meta("kind", "relay"), e.partner)
	resp, b := e.do("PATCH", loc, body, tusHdr("Upload-Offset", "0", "Content-Type", "Application/Offset+Octet-Stream"))
	if resp.StatusCode != 204 {
		t.Fatalf("PATCH with the tus type in capitals: %d %s", resp.StatusCode, b)
	}
	sub, err := e.st.Submission(ctx, s.id)
	if err != nil || sub.Partner != "fld" || sub.Kind != store.KindRelay {
		t.Fatalf("relay not stored: %+v %v", sub, err)
	}

	sum := sha256.Sum256(body)
	ack := e.signAck(e.ack, string(server.Statement(s.id, sum)))
	resp, b = e.do("POST", "/v1/acks", []byte(ack), map[string]string{"Authorization": "Bearer " + e.courier, "Content-Type": "application/json; charset=utf-8"})
	if resp.StatusCode != 200 {
		t.Fatalf("ack with charset=utf-8: %d %s", resp.StatusCode, b)
	}
	if sub, err := e.st.Submission(ctx, s.id); err != nil || sub.Status != store.StatusDeleted {
		t.Fatalf("after the ack: %+v %v", sub, err)
	}

	mb, sig := e.signManifest(2, e.recipients(), e.ackPub, 30)
	resp, b = e.do("PUT", "/v1/manifest", []byte(manifestPut(mb, sig)), map[string]string{"Authorization": "Bearer " + e.courier, "Content-Type": `Application/JSON; Charset="UTF-8"`})
	if resp.StatusCode != 200 {
		t.Fatalf("manifest with a quoted charset in capitals: %d %s", resp.StatusCode, b)
	}
	var info api.ManifestInfo
	if err := json.Unmarshal(b, &info); err != nil || info.Version != 2 {
		t.Fatalf("manifest answer %s (%v)", b, err)
	}
	if _, _, v, err := e.st.Manifest(ctx); err != nil || v != 2 {
		t.Fatalf("stored manifest version %d (%v), want 2", v, err)
	}
}
