package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"refuge/crypto/ack"
	"refuge/crypto/signing"
)

// TestJourney runs the whole journey of docs/walkthrough.md with the real
// binaries: a defender submits; another seals offline and a partner relays
// the bundle; the partner files a signed referral; the courier pulls; the
// officer opens (and stock age + tar open too), replies and acknowledges;
// forged acknowledgements are refused; the courier pushes; the defenders
// read the replies with their phrases only; the ciphertext is gone and the
// event log verifies.
func TestJourney(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatal("this test needs script(1) to type a passphrase into stock age: apt-get install util-linux")
	}
	t0 := time.Now()
	bin := buildBinaries(t)
	t1 := time.Now()
	d := deploy(t, bin)
	defender, offline, partner, courier, officer := d.role("defender"), d.role("offline"), d.role("partner"), d.role("courier"), d.officer
	srv := "--server=" + d.url

	// 1. A defender submits two files and a note.
	randomFile(t, defender.path("evidence", "video.bin"), 300<<10, 1)
	write(t, defender.path("evidence", "statement.txt"), "They came to the office on Monday.\n")
	write(t, defender.path("note.txt"), "Please help: I must leave within a month.\n")
	phrase1 := phraseOf(t, defender.ok("", "refuge", "submit", srv, "--root-pub", d.rootPub, "--note-file", "note.txt", "evidence"))
	mustContain(t, "status", defender.ok(phrase1+"\n", "refuge", "status", "--server", d.url).stdout, "received")

	// 2. Another defender seals offline; a partner relays the bundle and
	// its ticket.
	randomFile(t, offline.path("photo.jpg"), 70<<10, 2)
	phrase2 := phraseOf(t, offline.ok("", "refuge", "seal", "--manifest", officer.path("manifest.json"), "--root-pub", d.rootPub, "-o", "bundle.age", "photo.jpg"))
	for _, f := range []string{"bundle.age", "bundle.age.ticket"} {
		b, err := os.ReadFile(offline.path(f))
		if err != nil {
			t.Fatalf("seal did not write %s: %v", f, err)
		}
		write(t, partner.path(f), string(b))
	}
	var ticket struct {
		SubmissionID string `json:"submission_id"`
	}
	if b, _ := os.ReadFile(partner.path("bundle.age.ticket")); json.Unmarshal(b, &ticket) != nil || len(ticket.SubmissionID) != 32 {
		t.Fatalf("bad ticket: %s", b)
	}
	relayID := ticket.SubmissionID
	partner.ok("", "refuge", "relay", srv, "--token", d.partner, "bundle.age")
	mustContain(t, "status of the relayed bundle", offline.ok(phrase2+"\n", "refuge", "status", "--server", d.url).stdout, "received")

	// 3. The partner files a signed referral.
	randomFile(t, partner.path("passport.pdf"), 20<<10, 3)
	write(t, partner.path("form.json"), `{"defender_name":"A. N. Defender","nationality":"Xland","current_country":"Yland",
	 "work":"land rights","risk":"arrest warrant issued","urgency":"high",
	 "family_members":[{"name":"B. Defender","relationship":"child","age":7}],"consent":true,
	 "safe_contact":"signal, ask for the coordinator","referring_organisation":"FLD"}`)
	phrase3 := phraseOf(t, partner.ok("", "refuge", "refer", srv, "--root-pub", d.rootPub, "--token", d.partner,
		"--partner", partnerName, "--partner-key", partner.path("partner.key"), "--passphrase-file", d.pass, "--form", "form.json", "passport.pdf"))

	// 4. The courier pulls the ciphertext onto the USB stick.
	courier.ok("", "refuge", "courier", "pull", srv, "--token", d.courier, "-o", "usb/inbox")
	pulled, _ := filepath.Glob(courier.path("usb", "inbox", "*.age"))
	if len(pulled) != 3 {
		t.Fatalf("pulled %d files, want 3: %v", len(pulled), pulled)
	}
	sums, _ := os.ReadFile(courier.path("usb", "inbox", "SHA256SUMS"))
	for _, p := range pulled {
		mustContain(t, "SHA256SUMS", string(sums), fileSHA256(t, p)+"  "+filepath.Base(p))
	}

	// 5a. Hostile: a bundle pulled under one id but sealed for another is
	// flagged, and not acknowledged.
	swapped := officer.path("swapped", relayID+".age")
	write(t, swapped, "")
	var anyOther string
	for _, p := range pulled {
		if id := strings.TrimSuffix(filepath.Base(p), ".age"); id != relayID {
			anyOther = p
		}
	}
	b, _ := os.ReadFile(anyOther)
	write(t, swapped, string(b))
	r := officer.run("", "refuge-officer", "open", "-i", "officer.key", "--passphrase-file", "pass", "-o", "swapped-open",
		"--manifest", "manifest.json", "--root-pub", d.rootPub, "--ack-key", "ack.key", "--outbox", "swapped-outbox", swapped)
	if r.code != 3 {
		t.Fatalf("open of a swapped bundle: exit %d, want 3\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	mustContain(t, "open of a swapped bundle", r.stdout, "FLAGGED", "MISMATCH: pulled under "+relayID)
	if acks, _ := filepath.Glob(officer.path("swapped-outbox", "acks", "*")); len(acks) != 0 {
		t.Fatalf("a flagged bundle was acknowledged: %v", acks)
	}

	// 5b. The officer opens everything, with reports and acknowledgements.
	outbox := courier.path("usb", "outbox")
	officer.ok("", "refuge-officer", append([]string{"open", "-i", "officer.key", "--passphrase-file", "pass", "-o", "opened",
		"--manifest", "manifest.json", "--root-pub", d.rootPub, "--ack-key", "ack.key", "--outbox", outbox}, pulled...)...)
	ids := map[string]string{} // what → submission id
	for _, p := range pulled {
		id := strings.TrimSuffix(filepath.Base(p), ".age")
		dir := officer.path("opened", id)
		rep, err := os.ReadFile(filepath.Join(dir, "report.txt"))
		if err != nil {
			t.Fatalf("no report for %s: %v", id, err)
		}
		mustContain(t, "report", string(rep), "matches the id it was pulled under", "matches the courier's SHA256SUMS", "acknowledgement  written to")
		// The server's record of each upload agrees with the bundle's
		// signature: the partner's token uploaded its own referral, and
		// relayed an unsigned bundle.
		if strings.Contains(string(rep), "NOTICE") {
			t.Fatalf("report of %s has a notice:\n%s", id, rep)
		}
		switch {
		case exists(filepath.Join(dir, "files", "evidence", "video.bin")):
			ids["submit"] = id
			sameFile(t, filepath.Join(dir, "files", "evidence", "video.bin"), defender.path("evidence", "video.bin"))
			sameFile(t, filepath.Join(dir, "files", "evidence", "statement.txt"), defender.path("evidence", "statement.txt"))
			sameFile(t, filepath.Join(dir, "note.txt"), defender.path("note.txt"))
			mustContain(t, "report", string(rep), "sender           unauthenticated (anonymous submission)", "Please help: I must leave",
				"uploaded         anonymously, with no token (the server's record; not signed)")
		case exists(filepath.Join(dir, "files", "photo.jpg")):
			ids["relay"] = id
			sameFile(t, filepath.Join(dir, "files", "photo.jpg"), offline.path("photo.jpg"))
			// The bundle names no sender; the courier's UPLOADERS names
			// the partner that relayed it.
			mustContain(t, "report", string(rep), "sender           unauthenticated (anonymous submission)",
				`uploaded         relayed by partner "`+partnerName+`" (the server's record of the token used; not signed)`)
		case exists(filepath.Join(dir, "files", "passport.pdf")):
			ids["refer"] = id
			sameFile(t, filepath.Join(dir, "files", "passport.pdf"), partner.path("passport.pdf"))
			mustContain(t, "report", string(rep), `partner "fld": signature verified`, "defender name: A. N. Defender", "relationship: child", "urgency: high",
				`uploaded         as a referral by partner "`+partnerName+`"`)
		default:
			t.Fatalf("submission %s holds none of the files sent", id)
		}
		if !exists(filepath.Join(outbox, "acks", id+".json")) || !exists(filepath.Join(outbox, "acks", id+".json.minisig")) {
			t.Fatalf("no acknowledgement for %s in the outbox", id)
		}
	}
	if len(ids) != 3 || ids["relay"] != relayID {
		t.Fatalf("submissions found: %v (relayed id %s)", ids, relayID)
	}
	// Stock minisign verifies an acknowledgement with the manifest's ack key.
	if _, err := exec.LookPath("minisign"); err != nil {
		t.Fatal("this test needs stock minisign to check acknowledgements: apt-get install minisign (or run ./test.sh)")
	}
	var km struct {
		AckKey string `json:"ack_key"`
	}
	if b, _ := os.ReadFile(officer.path("manifest.json")); json.Unmarshal(b, &km) != nil || km.AckKey == "" {
		t.Fatal("manifest.json has no ack_key")
	}
	if out, err := exec.Command("minisign", "-Vm", filepath.Join(outbox, "acks", ids["refer"]+".json"), "-P", km.AckKey).CombinedOutput(); err != nil {
		t.Fatalf("stock minisign refuses the acknowledgement: %v\n%s", err, out)
	}

	// 5c. The escape hatch: stock age (passphrase typed at a terminal) and
	// tar open a bundle too.
	stock := officer.path("stock")
	write(t, filepath.Join(stock, ".keep"), "")
	agePath := filepath.Join(bin, "age")
	script := exec.Command("script", "-qec", fmt.Sprintf("%s -d -i officer.key -o stock/bundle.tar %s", agePath, courier.path("usb", "inbox", ids["submit"]+".age")), "/dev/null")
	script.Dir = officer.dir
	script.Stdin = strings.NewReader("correct horse battery staple\n")
	if out, err := script.CombinedOutput(); err != nil {
		t.Fatalf("stock age -d: %v\n%s", err, out)
	}
	if out, err := exec.Command("tar", "-x", "-f", filepath.Join(stock, "bundle.tar"), "-C", stock).CombinedOutput(); err != nil {
		t.Fatalf("tar x: %v\n%s", err, out)
	}
	sameFile(t, filepath.Join(stock, "files", "evidence", "video.bin"), defender.path("evidence", "video.bin"))

	// 6. The officer replies to the defender (with an attachment) and to
	// the partner's referral, each signed with the acknowledgement key.
	const answer1 = "Received. We need a scan of your passport; the form is attached.\nDo not reply from a shared device."
	// shown1 is answer1 as refuge replies prints it: each row marked.
	const shown1 = "| Received. We need a scan of your passport; the form is attached.\n| Do not reply from a shared device."
	randomFile(t, officer.path("form-a.pdf"), 9000, 4)
	mustContain(t, "signed reply", officer.ok("", "refuge-officer", "reply", "-i", "officer.key", "--passphrase-file", "pass", "--ack-key", "ack.key",
		"--manifest", "manifest.json", "--root-pub", d.rootPub, "--to", filepath.Join("opened", ids["submit"]),
		"--message", answer1, "-o", outbox, "form-a.pdf").stderr, "signed with the acknowledgement key of key manifest version")
	write(t, officer.path("answer3.txt"), "Referral received; interview scheduled.\n")
	officer.ok("", "refuge-officer", "reply", "--ack-key", "ack.key", "--ack-passphrase-file", "pass", "--to", filepath.Join("opened", ids["refer"]), "--message-file", "answer3.txt", "-o", outbox)
	// A reply to no submission fails clearly and writes nothing.
	r = officer.run("", "refuge-officer", "reply", "--unsigned", "--to", "opened/nothing-here", "--message", "x", "-o", outbox)
	if r.code != 1 || !strings.Contains(r.stderr, "opened/nothing-here does not exist") {
		t.Fatalf("reply to a missing submission: exit %d\n%s", r.code, r.stderr)
	}

	// 7a. Hostile acknowledgements are refused and delete nothing.
	t.Run("hostile acks", func(t *testing.T) { hostileAcks(t, d, courier, ids, pulled) })

	// 7b. The courier pushes the replies and acknowledgements.
	r = courier.ok("", "refuge", "courier", "push", srv, "--token", d.courier, "usb/outbox")
	mustContain(t, "push", r.stderr, "pushed 2 replies and 3 acknowledgements")

	// 8. The defenders read the answers with the phrase and the root
	// public key: the officers' signature is checked. Without the root
	// key, the reply is shown, marked as not checked.
	r = defender.ok(phrase1+"\n", "refuge", "replies", "--server", d.url, "--root-pub", d.rootPub)
	mustContain(t, "replies", r.stdout, "), signed by the officers on ", shown1)
	mustContain(t, "replies", r.stderr, "1 file attached", "checking each reply's signature against the officers' acknowledgement key")
	if strings.Contains(r.stderr, "warning") {
		t.Fatalf("a signed reply was warned about:\n%s", r.stderr)
	}
	r = defender.ok(phrase1+"\n", "refuge", "replies", "--server", d.url)
	mustContain(t, "replies without a root key", r.stdout, "NOT CHECKED: may not be from the officers", shown1)
	mustContain(t, "replies without a root key", r.stderr, "no root key is known on this device", "--root-pub KEY")
	defender.ok(phrase1+"\n", "refuge", "replies", "--server", d.url, "--root-pub", d.rootPub, "-o", ".")
	notes, _ := filepath.Glob(defender.path("reply-*", ids["submit"], "note.txt"))
	if len(notes) != 1 {
		t.Fatalf("saved reply: %v", notes)
	}
	if b, _ := os.ReadFile(notes[0]); string(b) != answer1 {
		t.Fatalf("reply text %q, want %q", b, answer1)
	}
	sameFile(t, filepath.Join(filepath.Dir(notes[0]), "files", "form-a.pdf"), officer.path("form-a.pdf"))
	if warnings, _ := filepath.Glob(defender.path("reply-*", "WARNING*")); len(warnings) != 0 {
		t.Fatalf("a signed reply was saved with a warning: %v", warnings)
	}
	mustContain(t, "referral replies", partner.ok(phrase3+"\n", "refuge", "replies", "--server", d.url, "--root-pub", d.rootPub).stdout,
		"signed by the officers on ", "Referral received; interview scheduled.")
	mustContain(t, "relay replies", offline.ok(phrase2+"\n", "refuge", "replies", "--server", d.url).stderr, "no reply yet")

	// 9. The ciphertext is gone, and the event log verifies and says so.
	mustContain(t, "status", defender.ok(phrase1+"\n", "refuge", "status", "--server", d.url).stdout, "deleted", "replies: 1")
	for what, id := range ids {
		if code := ciphertextStatus(t, d, id); code != http.StatusGone {
			t.Fatalf("%s: ciphertext download after the ack: HTTP %d, want 410", what, code)
		}
	}
	r = courier.ok("", "refuge", "courier", "pull", srv, "--token", d.courier, "-o", "usb/inbox")
	mustContain(t, "second pull", r.stderr, "pulled 0 new submissions", "event log verified")
	events, _ := os.ReadFile(courier.path("usb", "inbox", "events.log"))
	for what, id := range ids {
		mustContain(t, "events.log ("+what+")", string(events), " completed "+id, " collected "+id, " deleted "+id)
	}
	// 10. A later answer still reaches the sender after the deletion; this
	// one unsigned, which the officer is warned of and the sender too.
	mustContain(t, "unsigned reply", officer.ok("", "refuge-officer", "reply", "--unsigned", "--to", filepath.Join("opened", ids["refer"]),
		"--message", "Interview on Tuesday.", "-o", outbox).stderr, "warning: the reply is NOT signed (--unsigned)")
	mustContain(t, "late push", courier.ok("", "refuge", "courier", "push", srv, "--token", d.courier, "usb/outbox").stderr, "pushed 1 reply and 0 acknowledgements")
	r = partner.ok(phrase3+"\n", "refuge", "replies", "--server", d.url, "--root-pub", d.rootPub)
	mustContain(t, "late replies", r.stdout,
		"--- reply 1 of 2", "signed by the officers on ", "Referral received; interview scheduled.",
		"--- reply 2 of 2", "NOT SIGNED: may not be from the officers ---\n| Interview on Tuesday.")
	mustContain(t, "late replies", r.stderr, "reply 2 of 2 is NOT signed by the officers (it carries no signature)", "confirm it through the organisation that referred you")

	t.Logf("journey: %v in all (%v building the binaries)", time.Since(t0).Round(time.Millisecond), t1.Sub(t0).Round(time.Millisecond))
}

// hostileAcks posts forged acknowledgements through refuge courier push:
// each is refused and no ciphertext is deleted.
func hostileAcks(t *testing.T, d *deployment, courier *role, ids map[string]string, pulled []string) {
	ackKey, err := signing.LoadPrivateKey(d.officer.path("ack.key"), []byte("correct horse battery staple"))
	if err != nil {
		t.Fatal(err)
	}
	defer ackKey.Destroy()
	stranger, err := signing.Generate()
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Destroy()
	sumOf := func(id string) [32]byte {
		b, err := os.ReadFile(courier.path("usb", "inbox", id+".age"))
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	var unknown [16]byte
	copy(unknown[:], "not a submission")
	for _, c := range []struct {
		desc    string
		key     *signing.PrivateKey
		id      string
		sum     [32]byte
		message string
	}{
		{"signed by a key not in the manifest", stranger, ids["submit"], sumOf(ids["submit"]), "does not verify"},
		{"names another submission", ackKey, ids["relay"], sumOf(ids["submit"]), "not that of the stored ciphertext"},
		{"wrong hash", ackKey, ids["submit"], sha256.Sum256([]byte("something else")), "not that of the stored ciphertext"},
		{"unknown submission", ackKey, hex.EncodeToString(unknown[:]), sumOf(ids["submit"]), "does not exist"},
	} {
		t.Run(c.desc, func(t *testing.T) {
			stmt, sig, err := ack.Sign(c.key, ack.Statement{SubmissionID: c.id, SHA256: c.sum})
			if err != nil {
				t.Fatal(err)
			}
			box := filepath.Join("hostile", strings.ReplaceAll(c.desc, " ", "-"))
			write(t, courier.path(box, "acks", c.id+".json"), string(stmt))
			write(t, courier.path(box, "acks", c.id+".json.minisig"), string(sig))
			r := courier.run("", "refuge", "courier", "push", "--server", d.url, "--token", d.courier, box)
			if r.code != 1 || !strings.Contains(r.stderr, c.message) {
				t.Fatalf("forged ack: exit %d, want 1 and %q\n%s", r.code, c.message, r.stderr)
			}
			for what, id := range ids {
				if code := ciphertextStatus(t, d, id); code != http.StatusPartialContent {
					t.Fatalf("%s: ciphertext after a refused ack: HTTP %d, want 206", what, code)
				}
			}
		})
	}
}

// ciphertextStatus asks the server for the first byte of a submission's
// ciphertext, as a courier, and returns the HTTP status.
func ciphertextStatus(t *testing.T, d *deployment, id string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, d.url+"/v1/submissions/"+id+"/ciphertext", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+d.courier)
	req.Header.Set("Range", "bytes=0-0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
