package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"refuge/client"
	"refuge/crypto/bundle"
	"refuge/crypto/manifest"
	"refuge/crypto/secrets"
	"refuge/crypto/signing"
	"refuge/internal/cli"
)

const referHelp = `Usage: refuge refer --token T --partner NAME --partner-key FILE [--form FILE]
                    [field flags] [--note-file F] [--receipt-out F] [FILE...]

For partner organisations: files a structured referral (referral.json) with
supporting FILEs, signed with your organisation's key, sealed to the officers
and uploaded. The officers check the signature against the partner keys of
the key manifest, so --partner must be your name there and --partner-key the
matching secret key (minisign format; its passphrase is asked at the terminal
or read from --passphrase-file). The key manifest is verified against the
pinned root key before anything is sealed or sent.

The form comes from --form FILE (JSON; docs/client.md lists its fields and
how to run refer from a script), then the field flags override it; at a
terminal, missing fields are asked for. Consent is required. You get a
receipt phrase for the referral's status and replies, printed before the
upload starts (alone on standard output when that is not a terminal).
A referral that completed and is run again is a second referral: this
device keeps no record of what it sent. An interrupted upload resumes when
you run the same command again with the same files (same paths, sizes and
times) and the same form and note, however given (a form file written afresh
with the same content is the same form); a referral with another form is a
new one.

Flags:
    --token T               your partner token (default: $REFUGE_TOKEN)
    --partner NAME          your organisation's name in the key manifest
    --partner-key FILE      your organisation's key (made once with
                            refuge partnerkey, or stock minisign -G)
    --passphrase-file F     read the key's passphrase from the first line of F
    --form FILE             the referral form, JSON
    --defender, --nationality, --country, --organisation, --work, --risk,
    --urgency (immediate|high|medium|low), --contact, --referring-org TEXT
    --family "NAME:RELATIONSHIP[:AGE]"   a family member (repeatable)
    --consent               the defender agreed to this referral
    --note-file F, --receipt-out F, --restart   as for refuge submit
` + connHelp + `

Examples:
    $ refuge refer --token "$(cat fld.token)" --partner fld \
          --partner-key fld.key --form referral.json passport.pdf threats.pdf
    $ refuge refer --partner fld --partner-key fld.key --defender "A. N." \
          --nationality X --country Y --work "land rights" \
          --risk "arrest warrant" --urgency high --contact "signal +00…" \
          --referring-org "FLD" --consent evidence/

Exit codes: 0 referred, 1 failed, 2 bad command line or a form that is
incomplete or invalid (nothing sent), 3 the key manifest was refused (nothing
encrypted or sent), 4 network failure after retries (run the same command
again to resume), 130 interrupted by Ctrl-C (likewise).`

type familyFlag struct{ list *[]family }

func (f familyFlag) String() string { return "" }
func (f familyFlag) Set(v string) error {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return errors.New(`--family takes "NAME:RELATIONSHIP[:AGE]"`)
	}
	m := family{Name: parts[0], Relationship: parts[1]}
	if len(parts) == 3 {
		age, err := strconv.Atoi(parts[2])
		if err != nil {
			return errors.New("--family AGE must be a number")
		}
		m.Age = age
	}
	*f.list = append(*f.list, m)
	return nil
}

func cmdRefer(e *env, args []string) error {
	fl := e.newFlags("refer", referHelp)
	cn := addConn(fl)
	token := fl.String("token", "", "")
	partner := fl.String("partner", "", "")
	keyFile := fl.String("partner-key", "", "")
	passFile := fl.String("passphrase-file", "", "")
	formFile := fl.String("form", "", "")
	noteFile := fl.String("note-file", "", "")
	receiptOut := fl.String("receipt-out", "", "")
	restart := fl.Bool("restart", false, "")
	var form referral
	fields := map[string]*string{
		"defender": &form.DefenderName, "nationality": &form.Nationality, "country": &form.CurrentCountry,
		"organisation": &form.Organisation, "work": &form.Work, "risk": &form.Risk, "urgency": &form.Urgency,
		"contact": &form.SafeContact, "referring-org": &form.ReferringOrganisation,
	}
	flagVals := map[string]*string{}
	for name := range fields {
		flagVals[name] = fl.String(name, "", "")
	}
	var fam []family
	fl.Var(familyFlag{&fam}, "family", "")
	consent := fl.Bool("consent", false, "")
	files, err := cli.ParsePaths(fl, args)
	if err != nil {
		return err
	}
	tok, err := tokenFrom(*token, "refer")
	if err != nil {
		return err
	}
	if *partner == "" || *keyFile == "" {
		return usagef("refer", "--partner NAME and --partner-key FILE are needed")
	}
	if err := oneStdinReader(*formFile, *passFile, *noteFile); err != nil {
		return err
	}
	if err := receiptOutEarly(cn, "refer", "referral", *receiptOut, *restart); err != nil {
		return err
	}
	// The form: file, then flags, then prompts.
	if *formFile != "" {
		data, err := os.ReadFile(*formFile)
		if err != nil {
			return failf("cannot read the form: %v", errors.Unwrap(err))
		}
		r, err := parseReferral(data)
		if err != nil {
			// Exit 2, as for an incomplete form: the input is wrong,
			// nothing was tried.
			return usagef("refer", "%s: %v", *formFile, err)
		}
		form = *r
	}
	form.Format = referralFormat
	fl.Visit(func(f *flag.Flag) {
		if p, ok := fields[f.Name]; ok {
			*p = *flagVals[f.Name]
		}
	})
	form.FamilyMembers = append(form.FamilyMembers, fam...)
	if *consent {
		form.Consent = true
	}
	if err := e.askMissing(&form, fields); err != nil {
		return err
	}
	if err := form.check(); err != nil {
		return usagef("refer", "referral form: %v", err)
	}
	formJSON, err := json.MarshalIndent(form, "", "  ")
	if err != nil {
		return failf("%v", err)
	}
	purge, err := secure()
	if err != nil {
		return err
	}
	defer purge()
	key, err := e.loadPartnerKey(*keyFile, *passFile)
	if err != nil {
		return err
	}
	defer key.Destroy()
	contents := bundle.Contents{Kind: bundle.KindReferral, Partner: *partner, Referral: formJSON}
	if len(files) > 0 {
		if contents.Files, err = bundle.CollectFiles(files); err != nil {
			return failf("%v", err)
		}
	}
	if contents.Note, err = e.readNote(*noteFile); err != nil {
		return err
	}
	// The form and the note name the upload's state by their content (see
	// below), not by their files: a script that writes them afresh before
	// each run (same content, new modification time) resumes.
	in := files
	job := sealJob{kind: "referral", token: tok, receiptOut: *receiptOut,
		prepare: func(m *manifest.Manifest, c *bundle.Contents) error {
			pub, ok := m.PartnerKey(*partner)
			if !ok {
				return failf("partner %q is not in the officers' key manifest; nothing was sent", *partner).
					Hint("use your organisation's name exactly as the officers listed it")
			}
			if !pub.Equal(key.Public()) {
				return failf("--partner-key is not the key the manifest lists for %q; nothing was sent", *partner)
			}
			c.Sign = func(mj []byte) ([]byte, error) { return key.Sign(mj, "refuge referral by "+*partner) }
			return nil
		}}
	// The form is part of what names the upload's state: another referral
	// of the same files must not resume this one (the note too, which may
	// come from standard input).
	content := append(fmt.Appendf(nil, "form %d\n%s\nnote\n", len(formJSON), formJSON), contents.Note...)
	return e.sealedUpload("refer", cn, in, content, "referral", tok, *restart,
		func(ctx context.Context, c *client.Client, p profile, state string, pd *pending, resumed *uploadState) error {
			job.resumed = resumed
			return e.sealAndUpload(ctx, c, p, state, pd, contents, job)
		})
}

// oneStdinReader refuses to read standard input for two of the form, the
// passphrase and the note: the first would read what was meant for the
// other, which would then find nothing, or the wrong thing.
func oneStdinReader(form, passFile, note string) error {
	stdin := func(name string) bool {
		return name == "/dev/stdin" || name == "/dev/fd/0" || name == "/proc/self/fd/0"
	}
	var readers []string
	for _, f := range []struct {
		flag string
		on   bool
	}{{"--form", stdin(form)}, {"--passphrase-file", stdin(passFile)}, {"--note-file", note == "-" || stdin(note)}} {
		if f.on {
			readers = append(readers, f.flag)
		}
	}
	if len(readers) < 2 {
		return nil
	}
	both := "both"
	if len(readers) > 2 {
		both = "all"
	}
	return usagef("refer", "%s %s read standard input, which can be read only once; nothing was sent", strings.Join(readers, " and "), both).
		Hint("let one of them read standard input and give the others as files (the passphrase in a file of mode 0600), or the form as field flags")
}

// askMissing asks at a terminal for the form's missing required fields.
func (e *env) askMissing(r *referral, fields map[string]*string) error {
	f, ok := e.stdin.(*os.File)
	if !ok || !isTerminal(f) {
		return nil
	}
	in := bufio.NewReader(f)
	ask := func(label string) (string, error) {
		fmt.Fprintf(e.stderr, "%s: %s: ", prog, label)
		line, err := in.ReadString('\n')
		if err != nil {
			return "", failf("cannot read the answer: %v", err)
		}
		return strings.TrimSpace(line), nil
	}
	for _, q := range []struct{ name, label string }{
		{"defender", "defender's name"}, {"nationality", "nationality"}, {"country", "current country"},
		{"work", "kind of human rights work"}, {"risk", "risk faced"}, {"urgency", "urgency (immediate, high, medium, low)"},
		{"contact", "safe contact channel"}, {"referring-org", "referring organisation"},
	} {
		for strings.TrimSpace(*fields[q.name]) == "" {
			v, err := ask(q.label)
			if err != nil {
				return err
			}
			*fields[q.name] = v
		}
	}
	if !r.Consent {
		v, err := ask("has the defender agreed to this referral? (yes/no)")
		if err != nil {
			return err
		}
		r.Consent = strings.EqualFold(v, "yes") || strings.EqualFold(v, "y")
	}
	return nil
}

// loadPartnerKey decrypts the partner's minisign key.
func (e *env) loadPartnerKey(name, passFile string) (*signing.PrivateKey, error) {
	pass, err := secrets.ReadPassphrase(secrets.Prompt{File: passFile, Label: "partner key",
		Warn: func(m string) { e.out.Warnf("%s", m) }})
	if errors.Is(err, secrets.ErrNoTerminal) {
		return nil, failf("%v", err).Hint("use --passphrase-file F when running without a terminal")
	}
	if err != nil {
		return nil, promptFail("%v", err)
	}
	defer pass.Destroy()
	key, err := signing.LoadPrivateKey(name, pass.Bytes())
	if err != nil {
		return nil, failf("cannot use the partner key: %v", err)
	}
	return key, nil
}
